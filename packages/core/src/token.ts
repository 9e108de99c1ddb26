import type { TokenContext, TokenSource } from './types';

/** Where a client keeps its token state (fields of the client: no object of its own). */
export interface TokenHolder {
  _token: TokenSource | undefined;
  /** The token function's answer in flight, shared by concurrent askers. */
  _tokenPending: Promise<string | undefined> | null;
  /** The token sent on the last handshake. */
  _tokenLast: string | undefined;
}

/**
 * The static token as is (so a static token connects synchronously), else the token
 * function's pending answer: at most one call to the function is in flight.
 */
export function getToken(h: TokenHolder, ctx: TokenContext): string | undefined | Promise<string | undefined> {
  const src = h._token;
  if (typeof src !== 'function') return src;
  if (!h._tokenPending) {
    const p: Promise<string | undefined> = (async () => src(ctx))().finally(() => {
      if (h._tokenPending === p) h._tokenPending = null;
    });
    h._tokenPending = p;
  }
  return h._tokenPending;
}
