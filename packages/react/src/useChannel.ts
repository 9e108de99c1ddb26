import { useCallback, useEffect, useInsertionEffect, useMemo, useRef, useSyncExternalStore } from './reactImports';
import type {
  Channel,
  ChannelOptions,
  ChannelSnapshot,
  ChannelState,
  GapEvent,
  LifelineError,
  Message,
  Position,
  PublishOptions,
  PublishResult,
} from '@lifeline/core';
import { acquireChannel, channelKey, retryChannel } from './channelLeases';
import { useLifelineContext } from './context';
import { serverChannelSnapshot } from './serverSnapshots';

export interface UseChannelResult<T> {
  /**
   * Publishes to the channel (stable across renders); resolves on the server's ack
   * (queued while offline). Rejects as core's `channel.publish` does.
   */
  publish: (data: T, options?: PublishOptions) => Promise<PublishResult>;
  /** The channel's subscription state (`failed`: the server refused the subscribe, see `error`). */
  state: ChannelState;
  /** Position of the last message whose handlers returned. Reading it re-renders on every message. */
  position: Position | null;
  /**
   * The last gap (continuity lost) since this component mounted on the channel, or null: a
   * gap from before it mounted (another component's) is not shown.
   */
  gap: GapEvent | null;
  /**
   * Why the subscribe failed while `state` is `failed`, else null (handler failures go to the
   * client's and channel's `error` event).
   */
  error: LifelineError | null;
  /**
   * Subscribes again after the server refused the subscription (`state` `failed`), for every
   * hook on the channel; does nothing otherwise. Stable per channel. A component that mounts
   * on a failed channel does this by itself.
   */
  retry: () => void;
  /** The underlying core channel. */
  channel: Channel<T>;
}

/**
 * Subscribes to `name` for the component's lifetime. `onMessage` is read through
 * a ref: a new function each render neither resubscribes nor goes stale. A throw or
 * rejection from it applies the channel's `onHandlerError` policy; a redelivered message
 * this `onMessage` already handled is not handed to it again.
 * Subscription identity is `name` + `options` by value. Re-renders only when a
 * field this component read (`state`, `position`, `gap`, `error`) changed, so
 * messages alone cause no render unless `position` is read. Once the component unmounts,
 * its handler's pending promise is no longer awaited and its outcome is ignored. Mounting
 * on a channel the server refused subscribes again (see `retry`).
 * @throws Error outside a `<LifelineProvider>`; core's `BAD_ARGUMENT` for an invalid
 * channel name (during render) or a conflicting `onHandlerError` (from the effect).
 */
export function useChannel<T = unknown>(
  name: string,
  onMessage?: (msg: Message<T>) => unknown,
  options?: ChannelOptions,
): UseChannelResult<T> {
  const { client, releaseDelayMs } = useLifelineContext();
  const key = channelKey(name, options);
  // The client and channel the handler is for go with it: see the lease's handler below.
  const handler = useRef({ client, name, onMessage });
  useInsertionEffect(() => {
    handler.current = { client, name, onMessage };
  });
  // No options during render, only in the lease's effect: `since` on a channel without a
  // position moves it (re-rendering other readers mid-render, a React error), and
  // `onHandlerError` fixes the shared channel's policy even for a render never committed.
  const channel = useMemo(() => client.channel<T>(name), [client, name]);
  // What a server render shows; also this hook's subscription identity (client, name and
  // options), which `leased` holds once the effect subscribed it (see `state` below).
  const serverSnapshot = useMemo(() => serverChannelSnapshot(options), [client, key]);
  const leased = useRef<object>(undefined);
  useEffect(
    // After a name or client change, `handler` holds the new channel's handler from the
    // commit on, while this lease stays until its cleanup: a message arriving in between
    // is not for that handler.
    () => (
      (leased.current = serverSnapshot),
      acquireChannel(
        client,
        name,
        options,
        (msg) => {
          const h = handler.current;
          return h.name === name && h.client === client ? h.onMessage?.(msg) : undefined;
        },
        releaseDelayMs,
      )
    ),
    [client, key, releaseDelayMs],
  );

  // Tracked fields, as in TanStack Query: React is told of a change only when a field
  // read during render changed, so it skips the rest. Renders always read the latest
  // snapshot: a field read for the first time must not come from an older one.
  const tracked = useRef(new Set<keyof ChannelSnapshot>()).current;
  const subscribe = useCallback(
    (onChange: () => void) => {
      let seen = channel.getSnapshot();
      return channel.subscribeSnapshot(() => {
        const next = channel.getSnapshot();
        const changed = [...tracked].some((k) => seen[k] !== next[k]);
        seen = next;
        if (changed) onChange();
      });
    },
    [channel],
  );
  const get = () => channel.getSnapshot();
  // The channel's gap when this hook first rendered on it: `lastGap` is the channel's, shared
  // by every component, so one mounted after a gap would show it at once.
  const seenGap = useMemo(() => get().lastGap, [channel]);
  const snapshot = useSyncExternalStore(subscribe, get, () => serverSnapshot);
  const publish = useCallback((data: T, opts?: PublishOptions) => channel.publish(data, opts), [channel]);
  const retry = useCallback(() => retryChannel(channel), [channel]);

  const read = <K extends keyof ChannelSnapshot>(field: K) => {
    tracked.add(field);
    return snapshot[field];
  };
  // Refused before this hook subscribed: its effect subscribes again (a failed subscription
  // is not reused), so the old failure is not shown, not even for the first render.
  const state = () => {
    const s = read('state');
    return s === 'failed' && leased.current !== serverSnapshot ? 'subscribing' : s;
  };
  return {
    publish,
    retry,
    channel,
    get state() {
      return state();
    },
    get position() {
      return read('position');
    },
    get gap() {
      const gap = read('lastGap');
      return gap == seenGap ? null : gap;
    },
    get error() {
      return state() === 'failed' ? read('error') : null;
    },
  };
}
