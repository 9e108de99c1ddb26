import { R, type ReactNode } from './reactImports';
import type { ClientOptions, LifelineClient, LifelineError } from '@lifeline/core';
import { createClient } from './coreImports';
import { LifelineContext } from './context';

/**
 * The Provider's props: `client`, or `url` (+ `options`). Neither (a throw at render) and
 * both (`client` was used, `url` ignored in silence) are compile errors. A `url` typed
 * `string | undefined` (an environment variable) compiles: undefined at run time, it throws.
 */
export type LifelineProviderProps = LifelineProviderSharedProps &
  (
    | {
        /** A client you created and own: the Provider never connects or closes it. */
        client: LifelineClient;
        /** Not with `client` (give one or the other). */
        url?: undefined;
        /** Not with `client`: options are for the client the Provider creates from `url`. */
        options?: undefined;
      }
    | {
        /** Not with `url` (give one or the other). */
        client?: undefined;
        /**
         * The Provider creates one client for its tree from `url` + `options`, connects it
         * after mount (never during render, so SSR opens no socket) and closes it
         * `releaseDelayMs` after unmount. A new `url` makes a new client. Required, but may
         * be typed `string | undefined` (from the environment): undefined, it throws at render.
         */
        url: string | undefined;
        /**
         * Options of the client created from `url`; read only when `url` changes, so a new
         * object each render does not reconnect. `autoConnect` is ignored: the Provider
         * connects after mount. A new `token` here is ignored too: refresh it with
         * `useLifeline().setToken(token)` in an effect, or give a token function.
         * @default none
         */
        options?: Omit<ClientOptions, 'url'> | undefined;
      }
  );

/** The props of {@link LifelineProviderProps} that go with either `client` or `url`. */
interface LifelineProviderSharedProps {
  /**
   * Delay in ms before an unused channel subscription, presence or owned client is
   * released; reuse within it causes no wire traffic (StrictMode's double mount). From 0 to
   * 2147483647 (a timer's limit), else a `RangeError` during render.
   * @default 100
   */
  releaseDelayMs?: number | undefined;
  /**
   * Listens on the client's `error` event (`client.on('error', …)`) while the Provider is
   * mounted, from before it connects a `url` client: refusals, a handler that threw, token
   * failures. The latest function is called (a new one each render is fine). Any listener
   * keeps core from printing them.
   * @default none: core prints an `error` event nothing listens to on `console.error`
   */
  onError?: ((error: LifelineError) => void) | undefined;
  children?: ReactNode | undefined;
}

/**
 * Makes a Lifeline client available to the hooks below it.
 * @throws Error during render when neither `client` nor `url` is given (a compile error too,
 * kept for untyped callers); RangeError for a
 * `releaseDelayMs` that is not a number of ms from 0 to 2147483647.
 */
export function LifelineProvider({
  client: given,
  url,
  options,
  // How long an unused subscription, presence or owned client is kept before it is
  // released. Long enough to bridge StrictMode's unmount/remount and quick route changes,
  // short enough that a real unmount frees the server promptly.
  releaseDelayMs = 100,
  onError,
  children,
}: LifelineProviderProps) {
  if (!given && !url) throw new Error('<LifelineProvider> needs `client` or `url`');
  // A timer fires at once for NaN, a negative delay or one past 2^31 - 1 ms (Infinity
  // included): `releaseDelayMs={Infinity}` released everything on the next tick, unsaid.
  if (!(releaseDelayMs >= 0 && releaseDelayMs < 2 ** 31))
    throw new RangeError('<LifelineProvider> needs `releaseDelayMs` in [0, 2**31), not ' + releaseDelayMs);
  // autoConnect: false keeps render free of side effects; a client created by a
  // discarded StrictMode render is inert and simply garbage-collected. With it, its pending
  // close: a remount (StrictMode) cancels only its own client's close, never the close of a
  // client replaced by a new `url`; and its close under way (the delay passed), until done.
  const owned = R.useMemo(
    (): Owned | null => (given ? null : [createClient({ ...options, url: url!, autoConnect: false })]),
    // Options are read with the url: a new object identity each render must not reconnect.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [given, url],
  );
  const client = given ?? owned![0];

  // Before the connect effect below: an owned client's first errors are heard. A new
  // function replaces the listener in the commit.
  R.useEffect(() => {
    if (onError) return client.on('error', onError), () => void client.off('error', onError);
  }, [client, onError]);

  R.useEffect(() => {
    if (!owned) return;
    let mounted = true;
    const [c, closing, pendingClose] = owned;
    clearTimeout(closing);
    // A no-op unless the client is closed: after StrictMode's remount it is already
    // connecting. Shown again while the delayed close is still running (<Activity>, Fast
    // Refresh): connect() would be ignored mid-close, so connect once the close is done.
    if (pendingClose) void pendingClose.then(() => mounted && c.connect());
    else c.connect();
    return () => {
      mounted = false;
      owned[1] = setTimeout(() => {
        // One close at a time: the next connect waits for this one.
        owned[2] = c.close().finally(() => (owned[2] = undefined));
      }, releaseDelayMs);
    };
  }, [owned, releaseDelayMs]);

  const value = R.useMemo(() => ({ client, releaseDelayMs }), [client, releaseDelayMs]);
  return R.createElement(LifelineContext.Provider, { value }, children);
}

/** An owned client, its pending close's timer and its close under way. */
type Owned = [LifelineClient, ReturnType<typeof setTimeout>?, Promise<void>?];
