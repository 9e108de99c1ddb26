import type { LifelineError } from './errors';
import type { OverflowPolicy } from './types';

/** Defaults of {@link OutboxOptions}. */
export const DEFAULT_OUTBOX = {
  maxMessages: 1000,
  maxBytes: 1_048_576,
  overflow: 'reject' as OverflowPolicy,
  ttlMs: Infinity,
  onClose: 'fail' as 'flush' | 'fail',
  closeTimeoutMs: 5000,
  ackTimeoutMs: 30_000,
};

/** What the client's `outbox` event says about a publish that left the outbox unsent. */
export interface OutboxEvent {
  kind: 'rejected' | 'dropped' | 'expired';
  id: string;
  channel: string;
  error: LifelineError;
}
