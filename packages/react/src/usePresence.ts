import { R } from './reactImports';
import type { LifelineError, PresenceMember } from '@lifeline/core';
import { acquireChannel } from './channelLeases';
import { useLifelineContext } from './context';
import { acquirePresence, ignore } from './presence';
import { NO_MEMBERS } from './serverSnapshots';

const noMembers = () => NO_MEMBERS;

/**
 * A presence member whose `info` has the app's type `I` (as `useChannel<T>` types data: not
 * checked at runtime, it is what the members entered with).
 */
export type PresenceMemberOf<I> = PresenceMember & { info?: I };

export interface UsePresenceOptions {
  /** Enter presence while mounted. @default true when `info` is given, else false */
  enter?: boolean | undefined;
  /**
   * Called from an effect with core's `LifelineError` `BAD_ARGUMENT` (the `TypeError` as
   * `cause`) when `info` is not JSON-serialisable (a BigInt, a cycle, a throwing `toJSON`):
   * once when it becomes so, not on every render while it stays so. Nothing is entered with
   * it: the component is not present (as after unmount) until `info` is JSON again; it still
   * sees the members. A refusal by the server is reported on the client's `error` event.
   * @default console.error
   */
  onError?: ((error: LifelineError) => void) | undefined;
}

/**
 * The members present on `name`. With `info` (or `enter: true`) this component
 * is a member for its lifetime: it enters on mount, updates when `info` changes
 * by value and leaves `releaseDelayMs` after unmount. `info` is sent and compared as
 * `JSON.stringify` writes it: a function, `symbol` or `undefined` property is dropped
 * without an error (a `Map`/`Set` is `{}`, a `Date` a string), and every member, this one
 * included, sees that. Presence needs a subscription, so
 * the hook holds one of its own (not a `useChannel`'s). A refused enter is reported on the client's and channel's `error`
 * event (the hook does not throw it); an `info` that is not JSON goes to `options.onError`.
 * Empty on the server and during hydration.
 * @throws Error outside a `<LifelineProvider>`; core's `BAD_ARGUMENT` for an invalid channel name.
 */
export function usePresence(name: string, info?: unknown, options?: UsePresenceOptions): readonly PresenceMember[];
/** The same, with the members' `info` typed as `I` (`usePresence<Info>('room', { name })`). */
export function usePresence<I>(name: string, info?: I, options?: UsePresenceOptions): readonly PresenceMemberOf<I>[];
export function usePresence(
  name: string,
  info?: unknown,
  options?: UsePresenceOptions,
): readonly PresenceMember[] {
  const { client, releaseDelayMs } = useLifelineContext();
  const channel = R.useMemo(() => client.channel(name), [client, name]);
  const enter = options?.enter ?? info !== undefined;
  // Info by value; null when it is not JSON (JSON.stringify throws, never out of render).
  let infoKey: string | null | undefined = null;
  try {
    infoKey = JSON.stringify(info);
  } catch {}
  R.useEffect(() => {
    return enter && infoKey !== null
      ? acquirePresence(client, name, info, infoKey, releaseDelayMs)
      : // Core refuses an `info` that is not JSON without entering, with its typed error
        // (BAD_ARGUMENT, cause, channel). The members are still watched.
        (enter && channel.presence.enter(info).catch(options?.onError ?? console.error),
        // Presence's own subscription, as an entered one's (presence.ts): under a useChannel's
        // key, this do-nothing handler took the messages meant for that component while it
        // remounted within the delay, and they were lost to it.
        acquireChannel(client, name, undefined, ignore, releaseDelayMs, ' presence'));
  }, [client, name, enter, infoKey, releaseDelayMs]);
  const subscribe = R.useCallback(
    (onChange: () => void) => {
      channel.on('presence', onChange);
      return () => channel.off('presence', onChange);
    },
    [channel],
  );
  // Core replaces the member list on every change, so it is a valid snapshot as is.
  const get = () => channel.presence.members();
  return R.useSyncExternalStore(subscribe, get, noMembers);
}
