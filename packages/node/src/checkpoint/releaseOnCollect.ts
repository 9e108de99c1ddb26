/**
 * Releases what a store holds for the process (its reference to the file's lock, its use of
 * the remembered file text) once the store itself is garbage-collected without `close()`: a
 * service making a store per job and forgetting to close it kept each lock file — refusing
 * every other process with `CHECKPOINT_LOCKED` — and each file's text until exit. Nobody can
 * save through an unreachable store, so nothing is lost by letting the file go. A safety net
 * only (when it runs is up to the garbage collector): `close()` is the way to release.
 */
const registry = new FinalizationRegistry<() => Promise<void>>((release) => {
  void release().catch(() => {});
});

/**
 * Calls `release` once `store` is collected. `release` must not reach `store` (it would keep
 * it alive for ever); calling it after an explicit close must do nothing.
 */
export function releaseOnCollect(store: object, release: () => Promise<void>): void {
  registry.register(store, release);
}
