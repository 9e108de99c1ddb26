import { R } from './reactImports';
import type { ConnectionSnapshot } from '@lifeline/core';
import { INITIAL_SNAPSHOT } from './coreImports';
import { useLifeline } from './useLifeline';

// Server render and hydration: a client that never connected (serverSnapshots.ts).
const serverConnection = () => INITIAL_SNAPSHOT;

/**
 * The client's connection snapshot (state, attempt, retryInMs, lastError…); re-renders on
 * change. On the server and during hydration: core's `INITIAL_SNAPSHOT` (`closed`).
 * @throws Error outside a `<LifelineProvider>`.
 */
export function useConnectionState(): ConnectionSnapshot {
  const client = useLifeline();
  const subscribe = R.useCallback((onChange: () => void) => client.subscribe(onChange), [client]);
  const get = () => client.getSnapshot();
  return R.useSyncExternalStore(subscribe, get, serverConnection);
}
