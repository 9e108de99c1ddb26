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
    const w = typeof window !== 'undefined' && typeof window.addEventListener === 'function' ? window : null;
    const d = typeof document !== 'undefined' && typeof document.addEventListener === 'function' ? document : null;
    if (!w) return () => {};
    const on: Array<[EventTarget, string, (e: Event) => void]> = [
      [w, 'online', () => handler('online')],
      [w, 'offline', () => handler('offline')],
      [w, 'pagehide', (e) => (e as PageTransitionEvent).persisted && handler('pagehide')],
      [w, 'pageshow', (e) => (e as PageTransitionEvent).persisted && handler('pageshow')],
    ];
    if (d) on.push([d, 'visibilitychange', () => d.visibilityState === 'visible' && handler('visible')]);
    for (const [t, n, f] of on) t.addEventListener(n, f);
    return () => {
      for (const [t, n, f] of on) t.removeEventListener(n, f);
    };
  },
  isOnline: () => typeof navigator === 'undefined' || navigator.onLine !== false,
};
