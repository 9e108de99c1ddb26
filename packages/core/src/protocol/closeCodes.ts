/**
 * Close codes and what a client does on each. PROTOCOL.md §Close codes is normative.
 * Ranges: 4000–4099 stop, 4100–4199 refresh the token then retry, 4200–4299 retry
 * with backoff. Standard codes are mapped in {@link closeAction}.
 */
export const CloseCode = {
  /** Client asked to close. */
  NORMAL: 1000,
  /** Peer going away (page navigating, server shutting down without drain). */
  GOING_AWAY: 1001,
  /** No close frame: the socket died. */
  ABNORMAL: 1006,
  /** Policy violation (abuse) decided by ws itself. */
  POLICY: 1008,
  /** A frame above `maxFrameBytes`. */
  TOO_BIG: 1009,
  /** Server error. */
  INTERNAL: 1011,
  /** Planned restart; a `drain` frame came first. */
  SERVICE_RESTART: 1012,
  /** Overloaded: reason carries `retry-after-ms=N`. */
  TRY_AGAIN_LATER: 1013,

  /** The client speaks a protocol version the server does not. Stop. */
  UNSUPPORTED_VERSION: 4000,
  /** Origin not in the allow-list. Stop. */
  ORIGIN_NOT_ALLOWED: 4001,

  /** Token missing, malformed or badly signed. Retry only with a new token. */
  BAD_TOKEN: 4100,
  /** Token expired. Refresh it and retry at once. */
  TOKEN_EXPIRED: 4101,

  /** No `hello` within the handshake timeout. Retry with backoff. */
  HANDSHAKE_TIMEOUT: 4200,
  /** Abuse (floods, repeated bad frames). Retry with backoff. */
  ABUSE: 4201,
  /** Peer silent for two heartbeat intervals. Retry with backoff. */
  HEARTBEAT_TIMEOUT: 4202,
  /** Frame sent before `welcome` other than `hello`. Retry with backoff. */
  PROTOCOL_ERROR: 4203,
  /**
   * A token sent in band (`auth`) allows less than the connection holds (a channel
   * subscribed or entered). Retry with backoff: the new connection asks with the new token.
   */
  PERMISSIONS_NARROWED: 4204,
} as const;

export type CloseCodeValue = (typeof CloseCode)[keyof typeof CloseCode];

/** What a client should do after a close with `code`. */
export type CloseAction = 'stop' | 'refresh-token' | 'retry';

/** True for a close after which the client stops for good: 1000 and 4000-4099. */
export const isStopCode = (code: number): boolean => code === 1000 || (code >= 4000 && code < 4100);

/** True for a close after which the client retries with a new token: 4100-4199. */
export const isTokenCode = (code: number): boolean => code >= 4100 && code < 4200;

/**
 * Maps a close code to the client's action. Unknown codes retry with backoff. The client
 * tests the two predicates itself (no action strings in the browser bundle).
 */
export function closeAction(code: number): CloseAction {
  return isStopCode(code) ? 'stop' : isTokenCode(code) ? 'refresh-token' : 'retry';
}

/** Parses the `retry-after-ms=N` hint of a 1013 close reason (an HTTP `Retry-After` header is read by platform.ts). */
export function parseRetryAfterMs(reason: string | undefined): number | undefined {
  const m = reason && /retry-after-ms=(\d+)/.exec(reason);
  return m ? Number(m[1]) : undefined;
}
