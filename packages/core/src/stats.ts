import type { ClientStats } from './types';

/** Live counters; `stats()` hands out a copy. */
export type Counters = Omit<ClientStats, 'attempt' | 'outboxDepth' | 'outboxBytes'>;
