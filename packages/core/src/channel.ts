import { Emitter } from './emitter';
import { LifelineError } from './errors';
import { createPresence } from './presence';
import type { MessageFrame, Position, PresenceEventFrame, SubscribedFrame } from './protocol';
import type { Counters } from './stats';
import type {
  Channel,
  Clock,
  ChannelOptions,
  ChannelSnapshot,
  ChannelState,
  GapEvent,
  GapReason,
  Message,
  PublishOptions,
  PublishResult,
} from './types';

type Handler = (msg: Message<any>) => void | Promise<void>;

/** What a channel needs from its client. */
export interface ChannelHost {
  /** True after `welcome` on the current connection. */
  readonly ready: boolean;
  readonly counters: Counters;
  send(text: string): void;
  ref(): number;
  publish(channel: string, data: unknown, options?: PublishOptions): Promise<PublishResult>;
  /** Reports a channel error on the client's `error` event too. */
  error(e: LifelineError): void;
  /** Delay before re-delivering after the `attempt`-th consecutive handler failure. */
  retryDelay(attempt: number): number;
  readonly clock: Clock;
}

/** The client's side of a channel (not part of the public {@link Channel} type). */
export interface ChannelInternals {
  /** A connection was welcomed: subscribe again from `position`, re-enter presence. */
  connected(): void;
  /** The connection is gone; `error` set when the client closed for good. */
  disconnected(error?: LifelineError): void;
  /** The hot path: one inbound `msg`. */
  onMsg(m: MessageFrame): void;
  onSubscribed(f: SubscribedFrame): void;
  onUnsubscribed(): void;
  onPresence(f: PresenceEventFrame): void;
  onPresenceOk(ref: number): void;
  /** An error frame about this channel. */
  onError(e: LifelineError, ref: number | undefined): void;
}

export type ChannelImpl<T = unknown> = Channel<T> & ChannelInternals;

/** Messages buffered behind an async handler before the channel falls back to replay. */
const MAX_BUFFERED = 1000;

/**
 * One channel: reference-counted handlers, the position of the last message whose
 * handlers returned, dedupe/order/hole checks on the live stream, and presence.
 * A closure rather than a class so the browser bundle can minify every internal name.
 */
export function createChannel<T>(name: string, options: ChannelOptions, host: ChannelHost): ChannelImpl<T> {
  let handlers: Handler[] = [];
  // Position as primitives, so delivering a message allocates nothing.
  let offset = options.since ? options.since.offset : 0;
  let epoch: string | null = options.since ? options.since.epoch : null;
  /** Highest offset accepted for delivery (ahead of `offset` while an async handler runs). */
  let seen = offset;
  /** Ref of the `sub` awaiting its answer; messages are ignored meanwhile (the replay brings them). */
  let subRef = 0;
  let replayLeft = 0;
  /** A hole was already asked for from this offset: a second hole there is unfillable. */
  let holeAt = -1;
  let busy = false;
  /** Offset of the message an async handler is working on. */
  let inHand = 0;
  let buffer: MessageFrame[] = [];
  let overflowed = false;
  let failures = 0;
  let paused = false;
  let retryTimer: unknown = null;
  let state: ChannelState = 'idle';
  let lastGap: GapEvent | null = null;
  let lastError: LifelineError | null = null;
  let snap: ChannelSnapshot | null = null;
  const snapListeners = new Set<() => void>();
  const skip = options.onHandlerError === 'skip';
  const counters = host.counters;

  const ch = new Emitter() as Emitter & ChannelImpl<T>;
  const pres = createPresence(name, (m) => ch.emit('presence', m));
  const position = (): Position | null => (epoch === null ? null : { offset, epoch });

  const changed = () => {
    snap = null;
    for (const l of snapListeners) l();
  };
  const setState = (s: ChannelState) => {
    if (state !== s) {
      state = s;
      changed();
    }
  };
  const moveTo = (o: number, e: string) => {
    offset = o;
    epoch = e;
    snap = null;
    if (snapListeners.size) changed();
  };
  /** `seen` is the caller's: messages buffered behind an async handler may be past `o`. */
  const gap = (o: number, ep: string, reason: GapReason, move = true) => {
    const e: GapEvent = { channel: name, from: position(), to: { offset: o, epoch: ep }, reason };
    if (move) moveTo(o, ep);
    lastGap = e;
    counters.gaps++;
    ch.emit('gap', e);
  };
  const sendSub = () => {
    subRef = host.ref();
    host.send(JSON.stringify({ type: 'sub', ref: subRef, channel: name, since: position() ?? undefined }));
  };
  /** Forgets everything not yet delivered: the next subscribe replays it. */
  const reset = () => {
    subRef = replayLeft = 0;
    buffer = [];
    overflowed = paused = false;
    if (retryTimer !== null) host.clock.clearTimeout(retryTimer);
    retryTimer = null;
    seen = busy ? inHand : offset;
  };
  /** Asks the server again from `position` on this connection (fills holes, redelivers). */
  const resync = () => {
    reset();
    if (host.ready) {
      sendSub();
      setState('subscribing');
    }
  };
  const report = (e: LifelineError) => {
    ch.emit('error', e);
    host.error(e);
  };

  const deliver = (m: MessageFrame): void => {
    let r: unknown;
    try {
      if (handlers.length === 1) r = handlers[0]!(m as Message);
      else {
        const rs = handlers.map((h) => h(m as Message));
        if (rs.some(isThenable)) r = Promise.all(rs);
      }
    } catch (e) {
      return failed(m, e);
    }
    if (isThenable(r)) {
      busy = true;
      inHand = m.offset;
      r.then(
        () => done(m),
        (e: unknown) => failed(m, e),
      );
    } else done(m);
  };
  const done = (m: MessageFrame): void => {
    failures = 0;
    if (m.epoch === epoch && m.offset > offset) moveTo(m.offset, m.epoch);
    if (!busy) return;
    busy = false;
    while (!busy && buffer.length) deliver(buffer.shift()!);
    if (!busy && overflowed) resync();
  };
  const failed = (m: MessageFrame, cause: unknown): void => {
    report(new LifelineError('HANDLER_ERROR', `handler threw at ${name}#${m.offset}`, { cause, channel: name }));
    if (skip) {
      gap(m.offset, m.epoch, 'handler-skipped');
      busy = true; // so done() drains the buffer
      return done(m);
    }
    // Redeliver: drop what follows, ask the server again from position after a backoff.
    busy = false;
    retryLater(host.retryDelay(++failures));
  };
  /** Forgets what is pending and subscribes again from position after `ms`. */
  const retryLater = (ms: number) => {
    reset();
    paused = true;
    retryTimer = host.clock.setTimeout(() => {
      retryTimer = null;
      resync();
    }, ms);
  };

  Object.defineProperty(ch, 'position', { get: position });
  return Object.assign(ch, {
    name,
    presence: {
      members: () => pres.list,
      enter: (info?: unknown) => {
        pres.wanted = { info };
        const p = pres.wait();
        if (host.ready) host.send(pres.enterFrame(host.ref())!);
        return p;
      },
      leave: async () => {
        pres.wanted = undefined;
        if (host.ready) host.send(JSON.stringify({ type: 'presence.leave', ref: host.ref(), channel: name }));
      },
    },
    subscribe(handler: (msg: Message<T>) => void | Promise<void>) {
      const h = handler as Handler;
      handlers = [...handlers, h];
      if (handlers.length === 1) {
        setState('subscribing');
        if (host.ready) sendSub();
      }
      let on = true;
      return () => {
        if (!on) return;
        on = false;
        // A new array: a delivery in progress keeps iterating the old one.
        (handlers = [...handlers]).splice(handlers.indexOf(h), 1);
        if (handlers.length) return;
        reset();
        if (host.ready) {
          host.send(JSON.stringify({ type: 'unsub', ref: host.ref(), channel: name }));
          setState('unsubscribing');
        } else setState('idle');
      };
    },
    publish: (data: T, o?: PublishOptions) => host.publish(name, data, o),
    getSnapshot: () => (snap ??= { state, position: position(), lastGap, error: lastError }),
    subscribeSnapshot(l: () => void) {
      snapListeners.add(l);
      return () => void snapListeners.delete(l);
    },

    connected() {
      if (handlers.length) sendSub();
      const enter = pres.enterFrame(host.ref());
      if (enter) host.send(enter);
    },
    disconnected(error?: LifelineError) {
      reset();
      pres.disconnected();
      if (error) pres.failAll(error);
      if (state !== 'idle') setState(handlers.length ? 'subscribing' : 'idle');
    },
    onMsg(m: MessageFrame) {
      if (subRef || paused || !handlers.length) return;
      if (m.epoch !== epoch) return resync();
      const o = m.offset;
      if (o <= seen) {
        counters.deduped++;
        return;
      }
      if (o !== seen + 1) {
        if (holeAt !== seen) {
          holeAt = seen;
          return resync();
        }
        // Asked once already and the server could not fill it: say so, then go on. While
        // busy, position stays behind the buffered messages; their completions move it.
        gap(o - 1, m.epoch, 'hole', !busy);
      }
      seen = o;
      counters.received++;
      if (replayLeft) {
        replayLeft--;
        counters.replayed++;
      }
      if (!busy) deliver(m);
      else if (buffer.length < MAX_BUFFERED) buffer.push(m);
      else overflowed = true;
    },
    onSubscribed(f: SubscribedFrame) {
      if (f.ref !== subRef) return;
      subRef = 0;
      // `since` went out iff we had a position; it cannot change while the sub is pending.
      const lost = epoch !== null && f.recovered === false;
      if (lost) gap(f.offset, f.epoch, f.reason ?? 'epoch-changed');
      else if (epoch === null) moveTo(f.offset, f.epoch);
      replayLeft = f.recovered ? (f.replay ?? 0) : 0;
      if (lost || !busy) seen = offset;
      pres.reset(f.presence);
      lastError = null;
      setState('subscribed');
    },
    onUnsubscribed() {
      if (state === 'unsubscribing') setState('idle');
    },
    onPresence: (f: PresenceEventFrame) => pres.onEvent(f),
    onPresenceOk: (ref: number) => void pres.answer(ref),
    onError(e: LifelineError, ref: number | undefined) {
      if (ref !== undefined && pres.answer(ref, e)) return;
      if (ref !== undefined && ref === subRef) {
        subRef = 0;
        // Transient (e.g. BROKER_UNAVAILABLE): the server said when to ask again.
        if (Number.isFinite(e.retryAfterMs)) retryLater(e.retryAfterMs!);
        else {
          lastError = e;
          setState('failed');
        }
      }
      report(e);
    },
  });
}

function isThenable(x: unknown): x is PromiseLike<unknown> {
  return !!x && typeof (x as PromiseLike<unknown>).then === 'function';
}
