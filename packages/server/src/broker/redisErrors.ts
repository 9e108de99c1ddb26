/**
 * Thrown (as a rejected promise) by every Redis broker method when Redis does not
 * answer: not connected, restarting, timed out, or refusing writes. Nothing was
 * stored, so a publish is safe to re-send with the same id. The server maps it to the
 * `BROKER_UNAVAILABLE` error frame / HTTP 503.
 */
export class BrokerUnavailableError extends Error {
  override readonly name = 'BrokerUnavailableError';
  readonly code = 'BROKER_UNAVAILABLE' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Type guard that also accepts any error carrying `code: 'BROKER_UNAVAILABLE'`. */
export function isBrokerUnavailable(err: unknown): err is { code: 'BROKER_UNAVAILABLE'; message: string } {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'BROKER_UNAVAILABLE';
}

// Reply errors that mean "Redis cannot serve now", not "our command is wrong".
const UNAVAILABLE_REPLIES = /^(OOM|LOADING|READONLY|BUSY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|NOREPLICAS|MISCONF)\b/;

/**
 * Maps a failure of an ioredis call to what callers should see: connection-level
 * failures become {@link BrokerUnavailableError}; a script or argument bug stays
 * as it is (the server reports it as `INTERNAL`).
 */
export function toBrokerError(err: unknown, what: string): Error {
  if (err instanceof BrokerUnavailableError) return err;
  const e = err instanceof Error ? err : new Error(String(err));
  const isReply = e.name === 'ReplyError';
  if (isReply && !UNAVAILABLE_REPLIES.test(e.message)) return e;
  return new BrokerUnavailableError(`redis broker: ${what} failed: ${e.message}`, { cause: e });
}
