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
  // `declare`d, not class fields: fields would add per-instance define helpers to the bundle.
  declare readonly code: LifelineErrorCode;
  /** Code of the server's error frame, for SERVER_ERROR. */
  declare readonly serverCode?: string;
  declare readonly channel?: string;
  declare readonly retryAfterMs?: number;

  constructor(
    code: LifelineErrorCode,
    message: string,
    extra?: { cause?: unknown; serverCode?: string; channel?: string; retryAfterMs?: number },
  ) {
    // Error itself reads only `cause` from its options.
    super(message, extra?.cause === undefined ? undefined : extra);
    this.name = 'LifelineError';
    this.code = code;
    // Only the keys given (and defined) become own properties; `cause` is left to Error (an
    // engine without error causes keeps none).
    for (const k in extra) if (k !== 'cause' && extra[k as keyof typeof extra] !== undefined) (this as any)[k] = extra[k as keyof typeof extra];
  }
}

/** Type guard for {@link LifelineError}, optionally of one code. */
export function isLifelineError(e: unknown, code?: LifelineErrorCode): e is LifelineError {
  return e instanceof LifelineError && (code === undefined || e.code === code);
}
