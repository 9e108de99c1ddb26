import { useEffect, useMemo, useSyncExternalStore } from 'react';
import type { PresenceMember } from '@lifeline/core';
import { acquireChannel } from './channelLeases';
import { useLifelineContext } from './context';
import { acquirePresence, presenceStore } from './presence';

export interface UsePresenceOptions {
  /** Enter presence while mounted. @default true when `info` is given, else false */
  enter?: boolean;
}

const ignoreMessage = () => {};

/**
 * The members present on `name`. With `info` (or `enter: true`) this component
 * is a member for its lifetime: it enters on mount, updates when `info` changes
 * by value and leaves on unmount. Presence needs a subscription, so the hook
 * holds one.
 */
export function usePresence(
  name: string,
  info?: unknown,
  options?: UsePresenceOptions,
): readonly PresenceMember[] {
  const { client, releaseDelayMs } = useLifelineContext();
  const channel = useMemo(() => client.channel(name), [client, name]);
  const enter = options?.enter ?? info !== undefined;
  const infoKey = JSON.stringify(info);
  useEffect(
    () =>
      enter
        ? acquirePresence(client, name, info, releaseDelayMs)
        : acquireChannel(client, name, undefined, ignoreMessage, releaseDelayMs),
    // `infoKey` stands for info by value.
    [client, name, enter, infoKey, releaseDelayMs],
  );
  const store = presenceStore(channel);
  return useSyncExternalStore(store.subscribe, store.get, store.get);
}
