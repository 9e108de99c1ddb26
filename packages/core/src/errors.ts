import type { ErrorCodeName } from './protocol';

/** Machine-readable codes of {@link LifelineError}. */
export type LifelineErrorCode =
  | 'OUTBOX_FULL' // publish refused: outbox at maxMessages/maxBytes with overflow 'reject'
  | 'OUTBOX_DROPPED' // evicted by 'drop-oldest' / refused by 'drop-newest'
  | 'OUTBOX_EXPIRED' // ttlMs elapsed while queued (never once sent)
  | 'MESSAGE_TOO_LARGE' // the pub frame is above the server's maxFrameBytes (from its welcome)
  | 'CLIENT_CLOSED' // close() failed it: a publish, a pending presence enter; or a publish made while close() runs
  | 'AUTH_FAILED' // a static token refused (4100–4199), or a token function returned the refused token again; stays closed until setToken()
  | 'CONNECTION_REFUSED' // the server closed with a stop code (1000, 4000–4099), an upgrade was refused with HTTP 4xx (not 408/429), or the WebSocket constructor threw
  | 'SERVER_ERROR' // an error frame from the server (see `serverCode`, `retryAfterMs`)
  | 'BAD_FRAME' // malformed frame from the server (no type, not JSON, bad fields); frames of an unknown type are ignored
  | 'HANDLER_ERROR' // a subscriber handler threw or rejected (the cause is the first failure)
  | 'TOKEN_ERROR' // the token function threw, rejected, did not answer within handshakeTimeoutMs, or the server refused its token (4100)
  | 'BAD_ARGUMENT'; // invalid option value (createClient), channel name, onHandlerError, publish id/ttlMs, data that is not JSON-serialisable, or close code

/** The one error type of Lifeline: carries a code, an optional server code and a cause. */
export class LifelineError extends Error {
  // `declare`d, not class fields: fields would add per-instance define helpers to the bundle.
  declare readonly code: LifelineErrorCode;
  /**
   * Code of the server's error frame, for SERVER_ERROR: one of the protocol's codes
   * (PROTOCOL.md), or another string from a newer server.
   */
  declare readonly serverCode?: ErrorCodeName | (string & {});
  /** The channel it concerns, when it concerns one. */
  declare readonly channel?: string;
  /** For SERVER_ERROR: when the server said to try again, ms (the client does so itself). */
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
    for (const k in extra) if (k != 'cause' && extra[k as keyof typeof extra] !== undefined) (this as any)[k] = extra[k as keyof typeof extra];
  }
}

/**
 * Type guard for {@link LifelineError}, optionally of one code: `isLifelineError(e,
 * 'SERVER_ERROR')` narrows `e.code` to that code.
 */
export function isLifelineError<C extends LifelineErrorCode = LifelineErrorCode>(e: unknown, code?: C): e is LifelineError & { readonly code: C } {
  return e instanceof LifelineError && (code === undefined || e.code === code);
}
