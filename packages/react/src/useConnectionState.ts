import { useCallback, useSyncExternalStore } from './reactImports';
import type { ConnectionSnapshot } from '@lifeline/core';
import { useLifeline } from './useLifeline';

/** The client's connection snapshot (state, attempt, retryInMs, lastError…); re-renders on change. */
export function useConnectionState(): ConnectionSnapshot {
  const client = useLifeline();
  const subscribe = useCallback((onChange: () => void) => client.subscribe(onChange), [client]);
  const get = () => client.getSnapshot();
  return useSyncExternalStore(subscribe, get, get);
}
