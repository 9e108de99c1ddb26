import type { ConnectionSnapshot, ConnectionState, TransitionReason } from './types';
import type { LifelineError } from './errors';

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

/**
 * The connection state machine's one rule: the snapshot after moving from `prev` to
 * `to`, or null when nothing changed. A `closed → closed` move still counts as a change
 * when it schedules or cancels a retry, so the snapshot always says what happens next.
 */
export function nextSnapshot(
  prev: ConnectionSnapshot,
  to: ConnectionState,
  reason: TransitionReason,
  attempt: number,
  extra: TransitionExtra,
  now: number,
): ConnectionSnapshot | null {
  const retryInMs = to === 'closed' ? (extra.retryInMs ?? null) : null;
  if (prev.state === to && prev.reason === reason && prev.retryInMs === retryInMs && prev.attempt === attempt) return null;
  return {
    state: to,
    attempt,
    retryInMs,
    retryAt: retryInMs === null ? null : now + retryInMs,
    reason,
    lastError: extra.error ?? prev.lastError,
    // Only a welcome moves to open, and it passes its session: every other state has none
    // (open → open, a second welcome, is no change and returns above).
    session: extra.session ?? null,
  };
}
