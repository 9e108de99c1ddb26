import type { TokenContext, TokenSource } from './types';

/**
 * Token source: a static string (or none) or an async function. At most one call
 * to the function is in flight; concurrent askers share its promise.
 */
export interface TokenProvider {
  /** The token sent on the last handshake. */
  last: string | undefined;
  readonly isFunction: boolean;
  /** The static token, when the source is not a function. */
  readonly fixed: string | undefined;
  /** Replaces the source (e.g. after a 4100 with a static token). */
  set(source: TokenSource | undefined): void;
  get(ctx: TokenContext): Promise<string | undefined>;
}

export function createTokenProvider(source: TokenSource | undefined): TokenProvider {
  let pending: Promise<string | undefined> | null = null;
  const t: TokenProvider = {
    last: undefined,
    get isFunction() {
      return typeof source === 'function';
    },
    get fixed() {
      return typeof source === 'function' ? undefined : source;
    },
    set(s) {
      source = s;
      pending = null;
    },
    get(ctx) {
      const src = source;
      if (typeof src !== 'function') return Promise.resolve((t.last = src));
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
