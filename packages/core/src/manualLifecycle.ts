import type { LifecycleEvent, LifecycleSource } from './browserLifecycle';

/** A lifecycle source you drive by hand (tests, or a non-browser host with its own signals). */
export interface ManualLifecycle extends LifecycleSource {
  emit(event: LifecycleEvent): void;
  setOnline(online: boolean): void;
  /** Number of active listeners (0 after the client closed). */
  listeners(): number;
}

export function createManualLifecycle(online = true): ManualLifecycle {
  const handlers = new Set<(e: LifecycleEvent) => void>();
  return {
    listen(h) {
      handlers.add(h);
      return () => handlers.delete(h);
    },
    isOnline: () => online,
    emit(e) {
      if (e === 'online') online = true;
      if (e === 'offline') online = false;
      for (const h of [...handlers]) h(e);
    },
    setOnline(v) {
      online = v;
    },
    listeners: () => handlers.size,
  };
}
