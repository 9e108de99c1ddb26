import type { TokenContext, TokenSource } from './types';

/**
 * Token source: a static string (or none) or an async function. At most one call
 * to the function is in flight; concurrent askers share its promise.
 */
export interface TokenProvider {
  /** The token sent on the last handshake. */
  last: string | undefined;
  readonly isFunction: boolean;
  /** Replaces the source (e.g. after a 4100 with a static token). */
  set(source: TokenSource | undefined): void;
  /** The static token as is (so a static token connects synchronously), else the function's pending answer. */
  get(ctx: TokenContext): string | undefined | Promise<string | undefined>;
}

export function createTokenProvider(source: TokenSource | undefined): TokenProvider {
  let pending: Promise<string | undefined> | null = null;
  const t: TokenProvider = {
    last: undefined,
    get isFunction() {
      return typeof source === 'function';
    },
    set(s) {
      source = s;
      pending = null;
    },
    get(ctx) {
      const src = source;
      if (typeof src !== 'function') return src;
      if (!pending) {
        const p: Promise<string | undefined> = (async () => src(ctx))().finally(() => {
          if (pending === p) pending = null;
        });
        pending = p;
      }
      return pending;
    },
  };
  return t;
}
