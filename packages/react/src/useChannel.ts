import { R } from './reactImports';
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
import { acquireChannel, behind, channelKey, retryChannel, type Release } from './channelLeases';
import { useLifelineContext } from './context';

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
   * gap from before it mounted (another component's) is not shown. Also this component's own
   * (`reason` `'handler-skipped'`, or `'epoch-changed'` when the channel is in another epoch;
   * `to` the channel's position) for messages that went to other hooks only: when its effects
   * ran again without an unmount (`<Activity>` shown again) after the channel, kept subscribed
   * by another hook, moved on (`from` where it left; when it left before the channel's first
   * subscribe answer, where that answer put it: just before the first message it handed out), or
   * when its `since` is behind a channel another hook already subscribed (`from` the
   * `since`). A message another hook's async handler was still on then (past the position)
   * is not handed to it either: the first message it gets says the gap again, same `from`,
   * `to` just before that message. Without `since`, the gap of the channel's first subscribe
   * answer (another hook's `since` out of retention, or of another epoch) is not shown: it
   * covers messages from before where this component starts (nor with a `since` past its
   * end: this one lost nothing). A later one is.
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
/**
 * Per channel, watched from the first hook's effect on it (before that hook's `since` applies):
 * its first subscribe answer's gap (0: none) and where that answer put it (just before the
 * first message handed out: where a hook that let go of it before then left). That gap is not
 * a hook's without `since`: it covers messages from before the answer, where such a hook
 * starts (it is another hook's `since`, out of retention or of another epoch). A channel with
 * a position already (answered for presence, or a `since` given to core) has none left out.
 * Answered at its first `subscribed`; the position taken once it has one. One listener per
 * channel until then: one per hook, a list mounting and unmounting rows on a channel never
 * answered (refused, never connected) grew without bound.
 */
type First = [Position?, (GapEvent | 0)?];
const firsts = new WeakMap<Channel<any>, First>();
function startOf(channel: Channel<any>): First {
  let box = firsts.get(channel);
  if (!box) {
    const b: First = (box = channel.position ? [, 0] : []);
    firsts.set(channel, b);
    const off = channel.subscribeSnapshot(() => {
      const s = channel.getSnapshot();
      if (s.state == 'subscribed') b[1] ??= s.lastGap || 0;
      if (1 in b && s.position) (b[0] = s.position), off();
    });
  }
  return box;
}

export function useChannel<T = unknown>(
  name: string,
  onMessage?: (msg: Message<T>) => unknown,
  options?: ChannelOptions,
): UseChannelResult<T> {
  const { client, releaseDelayMs } = useLifelineContext();
  const key = channelKey(name, options);
  // No options during render, only in the lease's effect: `since` on a channel without a
  // position moves it (re-rendering other readers mid-render, a React error), and
  // `onHandlerError` fixes the shared channel's policy even for a render never committed.
  const channel = R.useMemo(() => client.channel<T>(name), [client, name]);
  // The channel the handler is for goes with it (core keeps one per client and name): see the
  // lease's handler below.
  const handler = R.useRef<[Channel<T>, typeof onMessage]>([channel, onMessage]);
  R.useInsertionEffect(() => {
    handler.current = [channel, onMessage];
  });
  // What a server render shows; also this hook's subscription identity (client, name and
  // options), which `leased` holds once the effect subscribed it (see `state` below), with
  // the channel's position once the effect let go of it (or, before the channel's first
  // subscribe answer, where that answer puts it: see startOf), and until the end of that task
  // the lease's take-back (see Release) with the cleanup that goes with it. A channel before it
  // subscribed, at its `since` position if any (see serverSnapshots.ts).
  const serverSnapshot = R.useMemo(
    (): ChannelSnapshot => ({ state: 'idle', position: options?.since ?? null, lastGap: null, error: null }),
    [client, key],
  );
  const leased = R.useRef<[object, (Position | null)?, First?, ReturnType<Release>?, (() => void)?] | null>(null);
  // A gap of this component's own (see the effect), with the channel's lastGap when it was
  // set and the identity it is for.
  const [own, setOwn] = R.useState<[GapEvent, GapEvent | null, object]>();
  R.useEffect(() => {
    // Where this hook's messages should go on from: where it left this identity (<Activity>
    // shown again), else its `since`. A channel already past it (another
    // hook, usePresence or a component on the same name, kept it subscribed: core handed those
    // messages to the others, ignores `since` and replays nothing) is said as a gap, as core
    // says a loss, instead of going on live in silence: 'epoch-changed' when the channel is in
    // another epoch (core ignored a `since` from an older one), else 'handler-skipped'.
    const [was, back, first, again, cleanup] = leased.current ?? [];
    // `again`: its cleanup ran in this same task (StrictMode's second effect, a new
    // releaseDelayMs): not a return, the same mount, which takes its lease back as it was and
    // goes on. A new one let go of what its async handler was still on (a rejection then
    // redelivered nothing to it) and could only guess where the first run was.
    if (was == serverSnapshot && again) return again(releaseDelayMs), cleanup;
    const start = startOf(channel);
    const from = was == serverSnapshot ? back ?? first?.[0] : options?.since;
    // Where this hook is known to start, once said: the first message it is handed must follow.
    // Once handed one, unset: what core hands again after a handler threw is checked by the
    // lease (acquireChannel), not here.
    let at = from;
    const say = (to: Position) => (
      (at = to),
      setOwn([
        { channel: name, from: from!, to, reason: to.epoch == from!.epoch ? 'handler-skipped' : 'epoch-changed' },
        get().lastGap,
        serverSnapshot,
      ])
    );
    const to = channel.position;
    // Said once the channel is subscribed: before, its position may be another hook's `since`
    // the server has yet to judge (past its head, or of another epoch: its answer may replay
    // what this one is owed); the first message or gap then says it (see the handler).
    if (from && to && get().state == 'subscribed' && !behind(to, from)) say(to);
    const told = get().lastGap;
    // The last message handed here: past the position while another hook's async handler is
    // still on it, or this one's when it lets go (it counts as handled for this hook).
    let had: Position | undefined;
    leased.current = [serverSnapshot];
    const release = acquireChannel(
      client,
      name,
      options,
      // After a name or client change, `handler` holds the new channel's handler from the
      // commit on, while this lease stays until its cleanup: a message arriving in between
      // is not for that handler.
      (msg) => {
        // The position is the last message whose handlers returned: one another hook's async
        // handler was still on when this effect ran never comes here, and was not in the gap
        // said above. The first message handed here shows it: the gap then goes on up to it.
        // A loss core said since (a `since` out of retention) is shown to this hook as it is:
        // it goes on after that gap, not after `at` (it said the same loss again as its own).
        // Unless that gap starts past `at`: what lies between (another hook's async handler was
        // on it) went to the others only, so this hook says its own gap, over both.
        // One from elsewhere (a `since` ahead of the channel's or of another epoch, its own
        // gap said) is said from where this hook is; one that ends before `at` (a replay from
        // another hook's older `since`) took nothing from it.
        const g = get().lastGap;
        const f = g?.from;
        const prev = { offset: msg.offset - 1, epoch: msg.epoch };
        if (at && g != told) behind(f, at) && behind(at, f) ? (at = g!.to) : behind(g!.to, at) || say(g!.to);
        // Not what it has: a `since` ahead of where the channel started (another hook's older
        // `since`) is replayed for the others, not for it.
        if (behind(msg, at)) return;
        // Another epoch than `at` with no gap said (a deferred one, see above) is one.
        if (at && !behind(prev, at)) say(prev);
        at = undefined;
        const [c, m] = handler.current;
        const r = c == channel && m?.(msg);
        // Set once the call returned: one that threw is not had (its component hidden then
        // comes back before it).
        had = msg;
        return r;
      },
      releaseDelayMs,
    );
    const off = () => {
      // Where it left: past the position when it had a message the others were still on, or
      // before any, at a `since` ahead of the channel's (from the position, shown again, it
      // was said a gap over a message it had, or handed one again). With neither, before the
      // channel's first subscribe was answered: where that answer puts the channel (see
      // startOf; the position now is at most another hook's `since`, whose loss the answer
      // says is not this hook's), else messages handed to other hooks meanwhile went unsaid
      // when it is back.
      const p = channel.position;
      const pos = at ?? (behind(p, had) ? { offset: had!.offset, epoch: had!.epoch } : 1 in start ? p : undefined);
      const l: NonNullable<typeof leased.current> = (leased.current = [serverSnapshot, pos, start, release(), off]);
      queueMicrotask(() => (l[3] = undefined));
    };
    return off;
  }, [client, key, releaseDelayMs]);

  // Tracked fields, as in TanStack Query: React is told of a change only when a field
  // read during render changed, so it skips the rest. Renders always read the latest
  // snapshot: a field read for the first time must not come from an older one.
  const tracked = R.useRef(new Set<keyof ChannelSnapshot>()).current;
  const get = () => channel.getSnapshot();
  // What goes with the channel, in one memo (smaller than one hook each).
  const [seenGap, publish, retry, subscribe] = R.useMemo(
    () =>
      [
        // The channel's gap when this hook first rendered on it: `lastGap` is the channel's,
        // shared by every component, so one mounted after a gap would show it at once.
        get().lastGap,
        (data: T, opts?: PublishOptions) => channel.publish(data, opts),
        () => retryChannel(channel),
        (onChange: () => void) => {
          let seen = get();
          return channel.subscribeSnapshot(() => {
            const next = get();
            const changed = [...tracked].some((k) => seen[k] !== next[k]);
            seen = next;
            if (changed) onChange();
          });
        },
      ] as const,
    [channel],
  );
  const snapshot = R.useSyncExternalStore(subscribe, get, () => serverSnapshot);

  const read = <K extends keyof ChannelSnapshot>(field: K) => {
    tracked.add(field);
    return snapshot[field];
  };
  return {
    publish,
    retry,
    channel,
    get state() {
      const s = read('state');
      // Refused before this hook subscribed: its effect subscribes again (a failed subscription
      // is not reused), so the old failure is not shown, not even for the first render.
      return s == 'failed' && leased.current?.[0] != serverSnapshot ? 'subscribing' : s;
    },
    get position() {
      return read('position');
    },
    get gap() {
      const gap = read('lastGap');
      // This component's own gap, for this identity, until the channel has a newer one.
      // Not the channel's first subscribe answer's without `since` (see startOf), nor with one
      // that loss ends before (another hook's older `since`: this one lost nothing).
      return own && own[1] == gap && own[2] == serverSnapshot ? own[0] : gap == seenGap || (gap == firsts.get(channel)?.[1] && (!options?.since || behind(gap?.to, options.since))) ? null : gap;
    },
    get error() {
      return this.state == 'failed' ? read('error') : null;
    },
  };
}
