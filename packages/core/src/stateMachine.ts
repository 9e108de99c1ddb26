import type { ConnectionSnapshot } from './types';
import type { LifelineError } from './errors';

/** What a transition carries besides its state and reason (client.ts `_setState` applies the state machine's rule). */
export interface TransitionExtra {
  retryInMs?: number | null;
  closeCode?: number;
  closeReason?: string;
  error?: LifelineError;
  session?: string | null;
}

/** Where every client starts. Snapshots are immutable, so all clients share this one. */
export const INITIAL_SNAPSHOT: ConnectionSnapshot = {
  state: 'closed',
  attempt: 0,
  retryInMs: null,
  retryAt: null,
  reason: null,
  lastError: null,
  session: null,
};
