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
import { acquireChannel, channelKey } from './channelLeases';
import { useLifelineContext } from './context';

export interface UseChannelResult<T> {
  /** Publishes to the channel; resolves on the server's ack (queued while offline). */
  publish: (data: T, options?: PublishOptions) => Promise<PublishResult>;
  state: ChannelState;
  /** Position of the last message delivered to the handlers. Reading it re-renders on every message. */
  position: Position | null;
  /** The last gap (continuity lost), or null. */
  gap: GapEvent | null;
  error: LifelineError | null;
  /** The underlying core channel. */
  channel: Channel<T>;
}

/**
 * Subscribes to `name` for the component's lifetime. `onMessage` is read through
 * a ref: a new function each render neither resubscribes nor goes stale.
 * Subscription identity is `name` + `options` by value. Re-renders only when a
 * field this component read (`state`, `position`, `gap`, `error`) changed, so
 * messages alone cause no render unless `position` is read.
 */
export function useChannel<T = unknown>(
  name: string,
  onMessage?: (msg: Message<T>) => void | Promise<void>,
  options?: ChannelOptions,
): UseChannelResult<T> {
  const { client, releaseDelayMs } = useLifelineContext();
  const key = channelKey(name, options);
  const handler = useRef(onMessage);
  useInsertionEffect(() => {
    handler.current = onMessage;
  });
  // `key` stands for name + options by value.
  const channel = useMemo(() => client.channel<T>(name, options), [client, key]);
  useEffect(
    () => acquireChannel(client, name, options, (msg) => handler.current?.(msg), releaseDelayMs),
    [client, key, releaseDelayMs],
  );

  // Tracked fields, as in TanStack Query: keep the previous snapshot while every
  // field read during render is unchanged, so React bails out of the update.
  const tracked = useRef(new Set<keyof ChannelSnapshot>()).current;
  const last = useRef<ChannelSnapshot | null>(null);
  const subscribe = useCallback((onChange: () => void) => channel.subscribeSnapshot(onChange), [channel]);
  const get = () => {
    const next = channel.getSnapshot();
    const prev = last.current;
    if (prev && prev !== next && [...tracked].every((k) => prev[k] === next[k])) return prev;
    return (last.current = next);
  };
  const snapshot = useSyncExternalStore(subscribe, get, get);
  const publish = useCallback((data: T, opts?: PublishOptions) => channel.publish(data, opts), [channel]);

  const read = <K extends keyof ChannelSnapshot>(field: K) => {
    tracked.add(field);
    return snapshot[field];
  };
  return {
    publish,
    channel,
    get state() {
      return read('state');
    },
    get position() {
      return read('position');
    },
    get gap() {
      return read('lastGap');
    },
    get error() {
      return read('error');
    },
  };
}
