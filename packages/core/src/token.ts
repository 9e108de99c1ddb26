import type { TokenContext, TokenSource } from './types';

/**
 * Token source: a static string (or none) or an async function. At most one call
 * to the function is in flight; concurrent askers share its promise.
 */
export class TokenProvider {
  /** The token sent on the last handshake. */
  last: string | undefined;
  private pending: Promise<string | undefined> | null = null;

  constructor(private source: TokenSource | undefined) {}

  get isFunction(): boolean {
    return typeof this.source === 'function';
  }

  /** The static token, when the source is not a function. */
  get fixed(): string | undefined {
    return typeof this.source === 'string' ? this.source : undefined;
  }

  /** Replaces the source (e.g. after a 4100 with a static token). */
  set(source: TokenSource | undefined): void {
    this.source = source;
    this.pending = null;
  }

  get(ctx: TokenContext): Promise<string | undefined> {
    const src = this.source;
    if (typeof src !== 'function') return Promise.resolve((this.last = src));
    if (!this.pending) {
      const p = (async () => src(ctx))().then(
        (t) => {
          if (this.pending === p) this.pending = null;
          return (this.last = t);
        },
        (e: unknown) => {
          if (this.pending === p) this.pending = null;
          throw e;
        },
      );
      this.pending = p;
    }
    return this.pending;
  }
}
