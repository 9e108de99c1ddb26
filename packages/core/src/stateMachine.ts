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
export class StateMachine {
  state: ConnectionState = 'closed';
  attempt = 0;
  snapshot: ConnectionSnapshot = {
    state: 'closed',
    attempt: 0,
    retryInMs: null,
    retryAt: null,
    reason: null,
    lastError: null,
    session: null,
  };

  constructor(
    private readonly now: () => number,
    private readonly emit: (change: StateChange) => void,
  ) {}

  /**
   * Moves to `to`. A `closed → closed` call still counts as a change when it
   * schedules or cancels a retry, so the snapshot always says what happens next.
   */
  set(to: ConnectionState, reason: TransitionReason, extra: TransitionExtra = {}): void {
    const from = this.state;
    const retryInMs = to === 'closed' ? (extra.retryInMs ?? null) : null;
    const prev = this.snapshot;
    if (from === to && prev.reason === reason && prev.retryInMs === retryInMs && prev.attempt === this.attempt) return;
    this.state = to;
    const change: StateChange = { from, to, reason, attempt: this.attempt, retryInMs };
    if (extra.closeCode !== undefined) change.closeCode = extra.closeCode;
    if (extra.closeReason !== undefined) change.closeReason = extra.closeReason;
    if (extra.error) change.error = extra.error;
    this.snapshot = {
      state: to,
      attempt: this.attempt,
      retryInMs,
      retryAt: retryInMs === null ? null : this.now() + retryInMs,
      reason,
      lastError: extra.error ?? prev.lastError,
      session: extra.session !== undefined ? extra.session : to === 'open' ? prev.session : null,
    };
    this.emit(change);
  }
}
