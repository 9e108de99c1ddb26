import { noop } from './domSocket';

/** Browser signals the client reacts to. */
export type LifecycleEvent = 'online' | 'offline' | 'visible' | 'pagehide' | 'pageshow';

/**
 * Where lifecycle signals come from. The default reads window/document when they
 * exist (guarded, so SSR and Node get a silent source); tests inject their own.
 */
export interface LifecycleSource {
  /** Starts listening; returns the function that stops. */
  listen(handler: (event: LifecycleEvent) => void): () => void;
  /** `navigator.onLine`, or true where unknown. */
  isOnline(): boolean;
}

/**
 * The browser's source: online/offline, visibilitychange → visible, and bfcache's
 * pagehide/pageshow (only when `persisted`). No beforeunload: it blocks the bfcache.
 */
export const browserLifecycle: LifecycleSource = {
  listen(handler) {
    // Read off globalThis: absent (SSR, Node, workers) is simply undefined.
    const { window: w, document: d } = globalThis as { window?: Window; document?: Document };
    // Shared: a function made here would keep this call's context alive per client.
    if (!w?.addEventListener) return noop;
    // One listener for every signal; bfcache events count only when the page is persisted.
    const on = (e: Event) => {
      const t = e.type;
      if (t == 'visibilitychange') d!.visibilityState == 'visible' && handler('visible');
      else if (t[0] != 'p' || (e as PageTransitionEvent).persisted) handler(t as LifecycleEvent);
    };
    const each = (m: 'addEventListener' | 'removeEventListener') => {
      for (const n of ['online', 'offline', 'pagehide', 'pageshow']) w[m](n, on);
      d?.[m]?.('visibilitychange', on);
    };
    each('addEventListener');
    return () => each('removeEventListener');
  },
  // Off globalThis too: no navigator (SSR, Node < 21) is online.
  isOnline: () => (globalThis as { navigator?: Navigator }).navigator?.onLine !== false,
};
