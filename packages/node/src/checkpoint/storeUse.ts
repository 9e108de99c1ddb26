import type { CheckpointStore } from './types';

/**
 * The key under which a store tracks the clients using it: `store[CHECKPOINT_USE]()` returns
 * the function a client calls once it is closed or drained. A file store releases its lock
 * when its last client ends (a process that drains and lives on — an HTTP server finishing
 * its requests — no longer keeps the next replica waiting). `Symbol.for`: the ESM and
 * CommonJS builds loaded side by side share it.
 */
export const CHECKPOINT_USE: unique symbol = Symbol.for('@lifeline/node/checkpointUse');

export interface StoreWithUse extends CheckpointStore {
  [CHECKPOINT_USE](): () => Promise<void>;
}

/** Registers a client's use of `store`; the returned function ends it (once; later calls do nothing). */
export function useCheckpointStore(store: CheckpointStore | null): () => Promise<void> {
  const use = (store as Partial<StoreWithUse> | null)?.[CHECKPOINT_USE];
  if (typeof use !== 'function') return () => Promise.resolve();
  const end = use.call(store);
  let ended: Promise<void> | null = null;
  return () => (ended ??= end().catch(() => {}));
}
