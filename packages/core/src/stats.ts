import type { ClientStats } from './types';

/** Live counters; `stats()` hands out a copy. */
export type Counters = Omit<ClientStats, 'attempt' | 'outboxDepth' | 'outboxBytes'>;

export function createCounters(): Counters {
  return {
    reconnects: 0,
    lastCloseCode: null,
    lastCloseReason: null,
    rttMs: null,
    received: 0,
    replayed: 0,
    deduped: 0,
    gaps: 0,
  };
}
