import { createElement, useEffect, useMemo, type ReactNode } from './reactImports';
import { createClient, type ClientOptions, type LifelineClient } from '@lifeline/core';
import { DEFAULT_RELEASE_DELAY_MS, LifelineContext } from './context';

export interface LifelineProviderProps {
  /** A client you created and own: the Provider never connects or closes it. */
  client?: LifelineClient;
  /**
   * Without `client`: the Provider creates one client for its tree from `url` +
   * `options`, connects it after mount (never during render, so SSR opens no
   * socket) and closes it on unmount.
   */
  url?: string;
  /** Options of the client created from `url`; read when `url` changes. */
  options?: Omit<ClientOptions, 'url'>;
  /**
   * Delay before an unused channel subscription, presence or owned client is
   * released; reuse within it causes no wire traffic (StrictMode's double mount).
   * @default 100
   */
  releaseDelayMs?: number;
  children?: ReactNode;
}

/** Makes a Lifeline client available to the hooks below it. */
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
    clearTimeout(closing.get(owned));
    // A no-op unless the client is closed: after StrictMode's remount it is already connecting.
    owned.connect();
    return () => {
      closing.set(owned, setTimeout(() => void owned.close(), releaseDelayMs));
    };
  }, [owned, releaseDelayMs]);

  const value = useMemo(() => ({ client, releaseDelayMs }), [client, releaseDelayMs]);
  return createElement(LifelineContext.Provider, { value }, children);
}

// Pending closes per client: a remount (StrictMode) cancels only its own client's
// close, never the close of a client replaced by a new `url`.
const closing = new WeakMap<LifelineClient, ReturnType<typeof setTimeout>>();
