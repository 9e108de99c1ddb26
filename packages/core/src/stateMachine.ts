import type { ConnectionSnapshot, ConnectionState, StateChange, TransitionReason } from './types';
import type { LifelineError } from './errors';

export interface TransitionExtra {
  retryInMs?: number | null;
  closeCode?: number;
  closeReason?: string;
  error?: LifelineError;
  session?: string | null;
}

/**
 * The only place the connection state changes. Holds the immutable snapshot and
 * replaces it on every change; `emit` is told about each real change.
 */
export interface StateMachine {
  readonly state: ConnectionState;
  /** Reconnect attempt number; the client sets it (reset on welcome). */
  attempt: number;
  readonly snapshot: ConnectionSnapshot;
  /**
   * Moves to `to`. A `closed → closed` call still counts as a change when it
   * schedules or cancels a retry, so the snapshot always says what happens next.
   */
  set(to: ConnectionState, reason: TransitionReason, extra?: TransitionExtra): void;
}

export function createStateMachine(now: () => number, emit: (change: StateChange) => void): StateMachine {
  let snapshot: ConnectionSnapshot = {
    state: 'closed',
    attempt: 0,
    retryInMs: null,
    retryAt: null,
    reason: null,
    lastError: null,
    session: null,
  };
  const sm: StateMachine = {
    attempt: 0,
    get state() {
      return snapshot.state;
    },
    get snapshot() {
      return snapshot;
    },
    set(to, reason, extra = {}) {
      const prev = snapshot;
      const from = prev.state;
      const attempt = sm.attempt;
      const retryInMs = to === 'closed' ? (extra.retryInMs ?? null) : null;
      if (from === to && prev.reason === reason && prev.retryInMs === retryInMs && prev.attempt === attempt) return;
      const { closeCode, closeReason, error } = extra;
      snapshot = {
        state: to,
        attempt,
        retryInMs,
        retryAt: retryInMs === null ? null : now() + retryInMs,
        reason,
        lastError: error ?? prev.lastError,
        session: extra.session !== undefined ? extra.session : to === 'open' ? prev.session : null,
      };
      // Keys without a value stay undefined rather than absent (one object shape).
      emit({ from, to, reason, attempt, retryInMs, closeCode, closeReason, error });
    },
  };
  return sm;
}
