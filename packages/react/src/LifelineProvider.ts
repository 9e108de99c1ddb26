import { createElement, useEffect, useMemo, type ReactNode } from './reactImports';
import type { ClientOptions, LifelineClient } from '@lifeline/core';
import { createClient } from './coreImports';
import { DEFAULT_RELEASE_DELAY_MS, LifelineContext } from './context';

export interface LifelineProviderProps {
  /** A client you created and own: the Provider never connects or closes it. */
  client?: LifelineClient | undefined;
  /**
   * Without `client`: the Provider creates one client for its tree from `url` +
   * `options`, connects it after mount (never during render, so SSR opens no
   * socket) and closes it `releaseDelayMs` after unmount. A new `url` makes a new client.
   */
  url?: string | undefined;
  /**
   * Options of the client created from `url`; read only when `url` (or `client`) changes,
   * so a new object each render does not reconnect. `autoConnect` is ignored: the Provider
   * connects after mount. A new `token` here is ignored too: refresh it with
   * `useLifeline().setToken(token)` in an effect, or give a token function.
   */
  options?: Omit<ClientOptions, 'url'> | undefined;
  /**
   * Delay in ms before an unused channel subscription, presence or owned client is
   * released; reuse within it causes no wire traffic (StrictMode's double mount).
   * @default 100
   */
  releaseDelayMs?: number | undefined;
  children?: ReactNode | undefined;
}

/**
 * Makes a Lifeline client available to the hooks below it.
 * @throws Error during render when neither `client` nor `url` is given.
 */
export function LifelineProvider({
  client: given,
  url,
  options,
  releaseDelayMs = DEFAULT_RELEASE_DELAY_MS,
  children,
}: LifelineProviderProps) {
  if (!given && !url) throw new Error('<LifelineProvider> needs `client` or `url`');
  // autoConnect: false keeps render free of side effects; a client created by a
  // discarded StrictMode render is inert and simply garbage-collected.
  const owned = useMemo(
    () => (given ? null : createClient({ ...options, url: url!, autoConnect: false })),
    // Options are read with the url: a new object identity each render must not reconnect.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [given, url],
  );
  const client = (given ?? owned)!;

  useEffect(() => {
    if (!owned) return;
    let mounted = true;
    clearTimeout(closing.get(owned));
    const pendingClose = closed.get(owned);
    // A no-op unless the client is closed: after StrictMode's remount it is already
    // connecting. Shown again while the delayed close is still running (<Activity>, Fast
    // Refresh): connect() would be ignored mid-close, so connect once the close is done.
    if (pendingClose) void pendingClose.then(() => mounted && owned.connect());
    else owned.connect();
    return () => {
      mounted = false;
      closing.set(
        owned,
        setTimeout(() => {
          // One close at a time: the next connect waits for this one.
          closed.set(owned, owned.close().finally(() => closed.delete(owned)));
        }, releaseDelayMs),
      );
    };
  }, [owned, releaseDelayMs]);

  const value = useMemo(() => ({ client, releaseDelayMs }), [client, releaseDelayMs]);
  return createElement(LifelineContext.Provider, { value }, children);
}

// Pending closes per client: a remount (StrictMode) cancels only its own client's
// close, never the close of a client replaced by a new `url`.
const closing = new WeakMap<LifelineClient, ReturnType<typeof setTimeout>>();
// Closes under way (the delay passed), until they complete.
const closed = new WeakMap<LifelineClient, Promise<void>>();
