import EventEmitter from 'eventemitter3';
import { LifelineError } from './errors';
import { Presence } from './presence';
import type { MessageFrame, Position, PresenceMember, SubscribedFrame } from './protocol';
import type { Counters } from './stats';
import type {
  Channel,
  ChannelOptions,
  ChannelSnapshot,
  ChannelState,
  GapEvent,
  GapReason,
  Message,
  PublishOptions,
  PublishResult,
  Unsubscribe,
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
  setTimer(cb: () => void, ms: number): unknown;
  clearTimer(h: unknown): void;
}

/** Messages buffered behind an async handler before the channel falls back to replay. */
const MAX_BUFFERED = 1000;

/**
 * One channel: reference-counted handlers, the position of the last message whose
 * handlers returned, dedupe/order/hole checks on the live stream, and presence.
 */
export class ChannelImpl<T = unknown> extends EventEmitter implements Channel<T> {
  private handlers: Handler[] = [];
  /** Offset/epoch of `position`, kept as primitives so delivering allocates nothing. */
  private offset = 0;
  private epoch: string | null = null;
  /** Highest offset accepted for delivery (≥ off while an async handler runs). */
  private seen = 0;
  /** Ref of the `sub` awaiting its answer; messages are ignored meanwhile (the replay brings them). */
  private subRef = 0;
  private sentSince = false;
  private replayLeft = 0;
  /** A hole was already asked for from this offset: a second hole there is unfillable. */
  private holeAt = -1;
  private busy = false;
  /** Offset of the message an async handler is working on. */
  private inHand = 0;
  private buffer: MessageFrame[] = [];
  private overflowed = false;
  private failures = 0;
  private paused = false;
  private retryTimer: unknown = null;
  private state: ChannelState = 'idle';
  private lastGap: GapEvent | null = null;
  private lastError: LifelineError | null = null;
  private snap: ChannelSnapshot | null = null;
  private readonly snapListeners = new Set<() => void>();
  private readonly pres: Presence;
  private readonly skipOnError: boolean;

  readonly presence: Channel<T>['presence'];

  constructor(
    readonly name: string,
    options: ChannelOptions,
    private readonly host: ChannelHost,
  ) {
    super();
    if (options.since) {
      this.offset = this.seen = options.since.offset;
      this.epoch = options.since.epoch;
    }
    this.skipOnError = options.onHandlerError === 'skip';
    this.pres = new Presence(name, (m) => this.emit('presence', m));
    this.presence = {
      members: () => this.pres.list,
      enter: (info?: unknown) => {
        this.pres.wanted = { info };
        const p = this.pres.wait();
        if (host.ready) host.send(this.pres.enterFrame(host.ref())!);
        return p;
      },
      leave: async () => {
        this.pres.wanted = undefined;
        if (host.ready) host.send(JSON.stringify({ type: 'presence.leave', ref: host.ref(), channel: name }));
      },
    };
  }

  get position(): Position | null {
    return this.epoch === null ? null : { offset: this.offset, epoch: this.epoch };
  }

  /** True while at least one handler is subscribed. */
  get wanted(): boolean {
    return this.handlers.length > 0;
  }

  subscribe(handler: (msg: Message<T>) => void | Promise<void>): Unsubscribe {
    const h = handler as Handler;
    this.handlers = [...this.handlers, h];
    if (this.handlers.length === 1) {
      this.setState('subscribing');
      if (this.host.ready) this.sendSub();
    }
    let on = true;
    return () => {
      if (!on) return;
      on = false;
      const i = this.handlers.indexOf(h);
      this.handlers = this.handlers.filter((_, j) => j !== i);
      if (this.handlers.length) return;
      this.reset();
      if (this.host.ready) {
        this.host.send(JSON.stringify({ type: 'unsub', ref: this.host.ref(), channel: this.name }));
        this.setState('unsubscribing');
      } else this.setState('idle');
    };
  }

  publish(data: T, options?: PublishOptions): Promise<PublishResult> {
    return this.host.publish(this.name, data, options);
  }

  getSnapshot(): ChannelSnapshot {
    return (this.snap ??= {
      state: this.state,
      position: this.position,
      lastGap: this.lastGap,
      error: this.lastError,
    });
  }

  subscribeSnapshot(listener: () => void): Unsubscribe {
    this.snapListeners.add(listener);
    return () => this.snapListeners.delete(listener);
  }

  // ------------------------------------------------------------------ client side

  /** A connection was welcomed: subscribe again from `position`, re-enter presence. */
  connected(): void {
    if (this.wanted) this.sendSub();
    const enter = this.pres.enterFrame(this.host.ref());
    if (enter) this.host.send(enter);
  }

  /** The connection is gone. */
  disconnected(): void {
    this.reset();
    this.pres.disconnected();
    if (this.state !== 'idle') this.setState(this.wanted ? 'subscribing' : 'idle');
  }

  /** The client closed for good: pending presence calls fail. */
  closed(error: LifelineError): void {
    this.disconnected();
    this.pres.failAll(error);
  }

  /** The hot path: one inbound `msg`. */
  onMsg(m: MessageFrame): void {
    if (this.subRef || this.paused || !this.handlers.length) return;
    if (m.epoch !== this.epoch) return this.resync();
    const o = m.offset;
    if (o <= this.seen) {
      this.host.counters.deduped++;
      return;
    }
    if (o !== this.seen + 1) {
      if (this.holeAt !== this.seen) {
        this.holeAt = this.seen;
        return this.resync();
      }
      // Asked once already and the server could not fill it: say so, then go on.
      this.gap({ offset: o - 1, epoch: m.epoch }, 'hole');
    }
    this.seen = o;
    const c = this.host.counters;
    c.received++;
    if (this.replayLeft) {
      this.replayLeft--;
      c.replayed++;
    }
    if (this.busy) {
      if (this.buffer.length < MAX_BUFFERED) this.buffer.push(m);
      else this.overflowed = true;
      return;
    }
    this.deliver(m);
  }

  onSubscribed(f: SubscribedFrame): void {
    if (f.ref !== this.subRef) return;
    this.subRef = 0;
    const head = { offset: f.offset, epoch: f.epoch };
    if (this.sentSince && f.recovered === false) this.gap(head, f.reason ?? 'epoch-changed');
    else if (this.epoch === null) this.moveTo(head.offset, head.epoch);
    this.replayLeft = f.recovered ? f.replay ?? 0 : 0;
    if (!this.busy) this.seen = this.offset;
    this.pres.reset(f.presence);
    this.lastError = null;
    this.setState('subscribed');
  }

  onUnsubscribed(): void {
    if (this.state === 'unsubscribing') this.setState('idle');
  }

  onPresenceOk(ref: number): void {
    this.pres.answer(ref);
  }

  onPresence(f: Parameters<Presence['onEvent']>[0]): void {
    this.pres.onEvent(f);
  }

  /** An error frame about this channel. */
  onError(e: LifelineError, ref: number | undefined): void {
    if (ref !== undefined && this.pres.answer(ref, e)) return;
    if (ref !== undefined && ref === this.subRef) {
      this.subRef = 0;
      this.lastError = e;
      this.setState('failed');
    }
    this.emit('error', e);
    this.host.error(e);
  }

  // ------------------------------------------------------------------ internals

  private sendSub(): void {
    const ref = (this.subRef = this.host.ref());
    this.sentSince = this.epoch !== null;
    const since = this.sentSince ? { offset: this.offset, epoch: this.epoch } : undefined;
    this.host.send(JSON.stringify({ type: 'sub', ref, channel: this.name, since }));
  }

  /** Asks the server again from `position` on this connection (fills holes, redelivers). */
  private resync(): void {
    this.reset();
    if (this.host.ready) {
      this.sendSub();
      this.setState('subscribing');
    }
  }

  /** Forgets everything not yet delivered: the next subscribe replays it. */
  private reset(): void {
    this.subRef = 0;
    this.replayLeft = 0;
    this.buffer = [];
    this.overflowed = false;
    this.paused = false;
    if (this.retryTimer !== null) this.host.clearTimer(this.retryTimer);
    this.retryTimer = null;
    this.seen = this.busy ? this.inHand : this.offset;
  }

  private deliver(m: MessageFrame): void {
    const hs = this.handlers;
    let r: unknown;
    try {
      if (hs.length === 1) r = hs[0]!(m as Message);
      else {
        const rs = hs.map((h) => h(m as Message));
        if (rs.some(isThenable)) r = Promise.all(rs);
      }
    } catch (e) {
      return this.failed(m, e);
    }
    if (isThenable(r)) {
      this.busy = true;
      this.inHand = m.offset;
      r.then(
        () => this.done(m),
        (e: unknown) => this.failed(m, e),
      );
    } else this.done(m);
  }

  private done(m: MessageFrame): void {
    this.failures = 0;
    if (m.epoch === this.epoch && m.offset > this.offset) this.moveTo(m.offset, m.epoch);
    if (!this.busy) return;
    this.busy = false;
    while (!this.busy && this.buffer.length) this.deliver(this.buffer.shift()!);
    if (!this.busy && this.overflowed) this.resync();
  }

  private failed(m: MessageFrame, cause: unknown): void {
    const e = new LifelineError('HANDLER_ERROR', `handler threw on ${this.name} at offset ${m.offset}`, {
      cause,
      channel: this.name,
    });
    this.emit('error', e);
    this.host.error(e);
    if (this.skipOnError) {
      this.gap({ offset: m.offset, epoch: m.epoch }, 'handler-skipped');
      this.busy = true; // so done() drains the buffer
      return this.done(m);
    }
    // Redeliver: drop what follows and ask the server again from position after a backoff.
    this.busy = false;
    this.reset();
    this.paused = true;
    this.retryTimer = this.host.setTimer(() => {
      this.retryTimer = null;
      this.resync();
    }, this.host.retryDelay(++this.failures));
  }

  private gap(to: Position, reason: GapReason): void {
    const e: GapEvent = { channel: this.name, from: this.position, to, reason };
    this.moveTo(to.offset, to.epoch);
    this.seen = to.offset;
    this.lastGap = e;
    this.host.counters.gaps++;
    this.emit('gap', e);
  }

  private moveTo(offset: number, epoch: string): void {
    this.offset = offset;
    this.epoch = epoch;
    this.snap = null;
    if (this.snapListeners.size) this.changed();
  }

  private setState(s: ChannelState): void {
    if (this.state === s) return;
    this.state = s;
    this.changed();
  }

  private changed(): void {
    this.snap = null;
    for (const l of this.snapListeners) l();
  }
}

function isThenable(x: unknown): x is PromiseLike<unknown> {
  return !!x && typeof (x as PromiseLike<unknown>).then === 'function';
}

export type { PresenceMember };
