/** Machine-readable codes of {@link LifelineError}. */
export type LifelineErrorCode =
  | 'OUTBOX_FULL' // publish refused: outbox at maxMessages/maxBytes with overflow 'reject'
  | 'OUTBOX_DROPPED' // evicted by 'drop-oldest' / refused by 'drop-newest'
  | 'OUTBOX_EXPIRED' // ttlMs elapsed while queued
  | 'MESSAGE_TOO_LARGE' // above the server's maxFrameBytes
  | 'CLIENT_CLOSED' // the client was closed
  | 'AUTH_FAILED' // bad token (4100) and no new token
  | 'CONNECTION_REFUSED' // terminal close code
  | 'SERVER_ERROR' // an error frame from the server (see `serverCode`)
  | 'BAD_FRAME' // malformed or unknown frame from the server
  | 'HANDLER_ERROR' // a subscriber handler threw
  | 'TOKEN_ERROR' // the token function threw
  | 'BAD_ARGUMENT'; // invalid channel name, publish id, or data that is not JSON-serialisable

/** The one error type of Lifeline: carries a code, an optional server code and a cause. */
export class LifelineError extends Error {
  override readonly name = 'LifelineError';
  readonly code: LifelineErrorCode;
  /** Code of the server's error frame, for SERVER_ERROR. */
  readonly serverCode?: string;
  readonly channel?: string;
  readonly retryAfterMs?: number;

  constructor(
    code: LifelineErrorCode,
    message: string,
    extra: { cause?: unknown; serverCode?: string; channel?: string; retryAfterMs?: number } = {},
  ) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.code = code;
    if (extra.serverCode !== undefined) this.serverCode = extra.serverCode;
    if (extra.channel !== undefined) this.channel = extra.channel;
    if (extra.retryAfterMs !== undefined) this.retryAfterMs = extra.retryAfterMs;
  }
}

/** Type guard for {@link LifelineError}, optionally of one code. */
export function isLifelineError(e: unknown, code?: LifelineErrorCode): e is LifelineError {
  return e instanceof LifelineError && (code === undefined || e.code === code);
}
