import { useCallback, useEffect, useMemo, useSyncExternalStore } from './reactImports';
import type { PresenceMember } from '@lifeline/core';
import { acquireChannel } from './channelLeases';
import { useLifelineContext } from './context';
import { acquirePresence, ignore } from './presence';
import { NO_MEMBERS } from './serverSnapshots';

const noMembers = () => NO_MEMBERS;

export interface UsePresenceOptions {
  /** Enter presence while mounted. @default true when `info` is given, else false */
  enter?: boolean;
}

/**
 * The members present on `name`. With `info` (or `enter: true`) this component
 * is a member for its lifetime: it enters on mount, updates when `info` changes
 * by value and leaves `releaseDelayMs` after unmount. Presence needs a subscription, so
 * the hook holds one. A refused enter is reported on the client's and channel's `error`
 * event (the hook does not throw it). Empty on the server and during hydration.
 * @throws Error outside a `<LifelineProvider>`; core's `BAD_ARGUMENT` for an invalid channel name.
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
        : acquireChannel(client, name, undefined, ignore, releaseDelayMs),
    // `infoKey` stands for info by value.
    [client, name, enter, infoKey, releaseDelayMs],
  );
  const subscribe = useCallback(
    (onChange: () => void) => {
      channel.on('presence', onChange);
      return () => void channel.off('presence', onChange);
    },
    [channel],
  );
  // Core replaces the member list on every change, so it is a valid snapshot as is.
  const get = () => channel.presence.members();
  return useSyncExternalStore(subscribe, get, noMembers);
}
