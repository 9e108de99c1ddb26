import { Emitter, tell } from './emitter';
import { hintDelay } from './clock';
import { backoffDelay, type DEFAULT_RECONNECT } from './backoff';
import { LifelineError } from './errors';
import { EMPTY, Presence } from './presence';
import type { MessageFrame, Position, ServerLimits, SubscribedFrame } from './protocol';
import type { Counters } from './stats';
import type {
  Channel as PublicChannel,
  ChannelSnapshot,
  ChannelState,
  Clock,
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
  /**
   * True once the current connection's welcome was handled, as the channels are
   * re-subscribed. Not before: a `sub` or `presence.enter` sent by an `open` state
   * listener went out twice (once more by the re-subscription right after it).
   */
  readonly _welcomed?: boolean;
  readonly _counters: Counters;
  readonly _clock: Clock;
  _send(text: string): void;
  _ref(): number;
  /** The server's limits from the current welcome (presence checks its frame's size). */
  readonly _limits?: ServerLimits | null;
  /** The token the connection runs under (its hello's, or the last one taken in band). */
  readonly _tokenLast?: string | undefined;
  publish(channel: string, data: unknown, options?: PublishOptions): Promise<PublishResult>;
  /** Reports a channel error on the client's `error` event too. */
  _report(e: LifelineError, heard?: boolean): void;
  /** The reconnect backoff, also the delay before re-delivering after handler failures. */
  readonly _reconnect: typeof DEFAULT_RECONNECT;
  readonly _random: () => number;
}

/** A hole found while busy, said as a gap when delivery reaches it. */
interface HoleMark {
  type: 'gap';
  /** Offset of the last message before the hole. */
  from: number;
  offset: number;
  epoch: string;
}

/**
 * One channel: reference-counted handlers, the position of the last message whose
 * handlers returned, dedupe/order/hole checks on the live stream, and presence.
 * Everything a channel may never need (buffer, snapshot listeners, presence) is
 * created on first use, so an idle subscribed channel is one small object.
 */
export class Channel<T = unknown> extends Emitter implements PublicChannel<T> {
  _handlers: readonly Handler[] = EMPTY;
  // Position as primitives, so delivering a message allocates nothing. Set with `_epoch`
  // (and `_seen` with them): unread while it is null.
  _offset!: number;
  _epoch: string | null;
  /** Highest offset accepted for delivery (ahead of `_offset` while an async handler runs). */
  _seen!: number;
  /** Ref of the `sub` awaiting its answer; messages are ignored meanwhile (the replay brings them). */
  _subRef?: number;
  /**
   * When the `sub` (or the `unsub`) was last sent: while `_subRef` is set (or the state is
   * 'unsubscribing'), the client's ack timeout counts from it (Client._tick). Named as a publish's send time, so the bundle has one name.
   */
  _sentAt?: number;
  _replayLeft?: number;
  /**
   * The last `subscribed` said `more` (a page of a paged catch-up): once its `_replayLeft`
   * messages are handled, the next page is asked for from the position.
   */
  _more?: boolean | number;
  /** A hole was already asked for from this offset: a second hole there is unfillable. Unset or -1: none (offsets are >= 0). */
  _holeAt?: number;
  _busy?: boolean;
  /**
   * The message async handlers are working on. Only its own delivery may settle it: one
   * abandoned by a new subscribe (see `subscribe`) ends without effect.
   */
  _inHand?: MessageFrame | null;
  /** The handlers `_inHand` was given to. */
  _inHs?: readonly Handler[];
  /**
   * Losses reported (`subscribed`, not recovered) while async handlers were on `_inHand`:
   * said once they are done, the first from after that message if they completed it, from
   * before it if they failed (it cannot come back from a lost history), each next one from
   * where the one before it ended. The position moved already. One per epoch moved into, in
   * order: a loss in the same epoch as the last joins it (one gap), one into another epoch
   * is its own (E, F, E again joined as one said E#5 to E#5, or nothing: F's promised tail,
   * never handed, went unsaid). `low`: the lowest head of the losses joined in one (see `_sayLost`),
   * -1 once merged. At most 4: past that, the newest merge (see `_onSubscribed`).
   */
  _lost?: Array<[offset: number, epoch: string, reason: GapReason, low: number]> | null;
  /** Taken while busy, in order: messages, and holes found among them (said when reached). */
  _buffer?: Array<MessageFrame | HoleMark> | null;
  _overflowed?: boolean;
  _failures = 0;
  // `_timer` (Timed): the handler-failure or subscribe-error backoff; messages are ignored while it runs.
  _state: ChannelState = 'idle';
  _lastGap: GapEvent | null;
  _lastError: LifelineError | null;
  _snap?: ChannelSnapshot | null;
  _snapListeners?: Set<() => void>;
  _pres?: Presence;
  /**
   * Handlers that handled the message at offset `o` of epoch `e` while another failed on
   * it: its redelivery skips them (they would have had it twice).
   */
  _part?: { o: number; e: string; hs: Set<Handler> } | null;
  /**
   * onHandlerError 'skip': a throwing handler's message counts as delivered (with a gap).
   * Unset (redeliver) until a caller names a policy; while the channel has handlers, only
   * the same policy may be named again (client.channel checks).
   */
  _skip?: boolean;
  /**
   * The last offset handed out (`_seen`) in each of the last 4 epochs this channel left,
   * oldest first; made on the first epoch change. Coming back to one (a client moved
   * between servers of different memory brokers: E, F, E again) starts after it: the server
   * answers `recovered: false` and replays E's retained tail, which was handed out already.
   * 4: a client moving among 5 such servers still knows each; bounded, as an epoch that never
   * comes back (a broker restarted) is kept until 4 newer ones pushed it out.
   */
  _past?: Map<string, number>;

  readonly name: string;
  _host: ChannelHost;

  constructor(name: string, host: ChannelHost) {
    super();
    // One chain, not an initialiser each: a few bytes of gzip less.
    this._epoch = this._lastGap = this._lastError = null;
    this.name = name;
    this._host = host;
  }

  /**
   * Starts after `since` unless the channel has a position already. Called by every
   * `client.channel(name, { since })`: a channel first made without it (by presence, or
   * to publish) skipped the messages after the checkpoint without a gap.
   */
  _since(p: Position | undefined): void {
    if (p && this._epoch === null) {
      this._seen = p.offset;
      this._moveTo(p.offset, p.epoch);
      // A `sub` without it is awaiting its answer: ask again, from the checkpoint.
      if (this._subRef) this._resync();
    }
  }

  /** The client's: a getter, so an idle channel holds no more fields for its timer. */
  override get _clock(): Clock {
    return this._host._clock;
  }

  /** Position of the last message whose handlers returned. */
  get position(): Position | null {
    return this._epoch === null ? null : { offset: this._offset, epoch: this._epoch };
  }

  get presence(): Presence {
    return (this._pres ??= new Presence(this));
  }

  subscribe(h: (msg: Message<T>) => void | Promise<void>): Unsubscribe {
    // concat, not spread: a spread array reserves ~17 slots (~0.1 KB per idle channel).
    this._handlers = this._handlers.concat(h as Handler);
    if (this._handlers.length == 1) {
      // Still awaiting a handler from before the last unsubscribe (one that never settles
      // held the channel for the client's life): the new handlers start from the position,
      // that message included, and the old delivery's end moves nothing. Not when that
      // delivery's only handler comes back (an unsubscribe and subscribe in one render): it
      // is still on that message, and was handed it again (twice, at once). With several,
      // one of those not coming back may be the one that never settles.
      if (this._busy && !(this._inHs!.length == 1 && this._inHs![0] == (h as Handler))) {
        this._busy = false;
        this._seen = this._offset;
        // The new handlers never had it: a loss waiting for it starts before it.
        this._sayLost(this._inHand!, true);
        this._inHand = null;
      }
      this._setState('subscribing');
      if (this._host._welcomed) this._sendSub();
    }
    let on = true;
    return () => {
      if (!on) return;
      on = false;
      // A new array: a delivery in progress keeps iterating the old one.
      const hs = (this._handlers = this._handlers.slice());
      hs.splice(hs.indexOf(h as Handler), 1);
      if (hs.length) return;
      this._reset();
      if (this._host._welcomed) {
        // Timed as a sub is (Client._tick): a channel left 'unsubscribing' for good kept the
        // server sending what nobody listens to.
        this._sentAt = this._clock.now();
        this._host._send(JSON.stringify({ type: 'unsub', ref: this._host._ref(), channel: this.name }));
        this._setState('unsubscribing');
      } else this._setState('idle');
    };
  }

  publish(data: T, o?: PublishOptions): Promise<PublishResult> {
    return this._host.publish(this.name, data, o);
  }

  getSnapshot(): ChannelSnapshot {
    return (this._snap ??= { state: this._state, position: this.position, lastGap: this._lastGap, error: this._lastError });
  }

  subscribeSnapshot(l: () => void): Unsubscribe {
    const ls = (this._snapListeners ??= new Set());
    ls.add(l);
    return () => void ls.delete(l);
  }

  // ---------------------------------------------------------------- for presence


  // ---------------------------------------------------------------- state

  _changed(): void {
    this._snap = null;
    // tell() calls a copy: a listener added while being told (one re-subscribing itself)
    // waits for the next change, else it was told again and again in this one.
    if (this._snapListeners) tell(this._snapListeners, (l) => l());
  }

  _setState(s: ChannelState): void {
    if (this._state != s) {
      this._state = s;
      this._changed();
    }
  }

  _moveTo(o: number, e: string): void {
    this._offset = o;
    this._epoch = e;
    this._changed();
  }

  /**
   * `_seen` is the caller's: messages buffered behind an async handler may be past `o`.
   * `from` defaults to the position; a hole seen while busy starts after `_seen` instead
   * (what is buffered before it is still delivered).
   */
  _gap(o: number, ep: string, reason: GapReason, move = true, from = this.position): void {
    // Set before listeners are told (a listener reading the snapshot caches it), and told
    // even when the position stays (a hole seen while an async handler is busy).
    const e: GapEvent = (this._lastGap = { channel: this.name, from, to: { offset: o, epoch: ep }, reason });
    move ? this._moveTo(o, ep) : this._changed();
    this._host._counters.gaps++;
    this.emit('gap', e);
  }

  /** `limit`: a page of the replay at most (PROTOCOL §5), after the buffer overflowed. */
  _sendSub(limit?: number): void {
    this._sentAt = this._clock.now();
    this._host._send(JSON.stringify({ type: 'sub', ref: (this._subRef = this._host._ref()), channel: this.name, since: this.position ?? undefined, limit }));
  }

  /** Forgets everything not yet delivered: the next subscribe replays it. */
  _reset(): void {
    // The message in hand only while it is ahead of the position: a loss said meanwhile
    // (see `_lost`) moved the position into a new history, and its replay after the
    // in-hand offset was taken as duplicates (dropped without a gap).
    const m = this._inHand;
    this._more = this._subRef = this._replayLeft = 0;
    this._buffer = null;
    this._overflowed = false;
    this._cancel();
    // Nor after a loss said meanwhile (`_lost`): the position went to the new history's head,
    // which may be behind the in-hand offset (a store that lost acknowledged writes).
    this._seen = this._busy && !this._lost && m!.epoch == this._epoch && m!.offset > this._offset ? m!.offset : this._offset;
  }

  /**
   * Asks the server again from the position on this connection (fills holes, redelivers).
   * A page at most while catching up (overflowed, on a page with more after it, or more than
   * a page of a replay still to come): a hole or a handler failure there asked for the
   * whole rest of the backlog again, once per failure (PROTOCOL §5).
   */
  _resync(limit = this._more || this._overflowed || this._replayLeft! > 1000 ? 1000 : void 0): void {
    this._reset();
    // Nobody subscribed any more (a handler settled after the last unsubscribe): nothing to ask for.
    if (this._host._welcomed && this._handlers.length) {
      this._sendSub(limit);
      this._setState('subscribing');
    }
  }

  _report(e: LifelineError): void {
    this._host._report(e, this.emit('error', e));
  }

  // ---------------------------------------------------------------- delivery

  _deliver(m: MessageFrame): void {
    const skip = this._handled(m);
    // Every handler runs, even after one threw; the message counts as handled when all
    // are done, and a failure redelivers it only to those that did not handle it.
    const hs = this._handlers;
    let bad: Map<Handler, unknown> | undefined;
    let waits: PromiseLike<unknown>[] | undefined;
    for (const h of hs) {
      if (skip?.has(h)) continue;
      try {
        const x = h(m as Message);
        if (x && typeof (x as PromiseLike<unknown>).then === 'function') (waits ??= []).push(x.then(null, (e: unknown) => void (bad ??= new Map()).set(h, e)));
      } catch (e) {
        (bad ??= new Map()).set(h, e);
      }
    }
    if (!waits) return this._settle(m, hs, bad);
    this._busy = true;
    this._inHand = m;
    this._inHs = hs;
    // A handler that unsubscribed and subscribed again in its own call reset `_seen` to the
    // position, before `m`: the replay of `m` was taken and handed to it a second time.
    if (this._seen < m.offset) this._seen = m.offset;
    // Abandoned meanwhile: a failure is still reported, and changes nothing else.
    void Promise.all(waits).then(() => (this._inHand == m ? this._settle(m, hs, bad) : bad && this._threw(m, bad)));
  }

  /** Handlers that already handled `m` (another failed on it), if any did. */
  _handled(m: MessageFrame): Set<Handler> | undefined {
    const p = this._part;
    return p && p.o == m.offset && p.e == m.epoch ? p.hs : undefined;
  }

  /** Says the loss waiting for `m` (see `_lost`), from before `m` when it was not handled. */
  _sayLost(m: MessageFrame, failed?: unknown): unknown {
    const l = this._lost;
    let o = failed ? m.offset - 1 : m.offset;
    let e = m.epoch;
    this._lost = null;
    // Not a loss when the retained tail starts right after `m` (the log trimmed up to it):
    // a gap from `m` to `m` covers nothing, and stopped a worker whose onGap is 'stop'.
    // Behind `m` (the store lost writes it had acknowledged, PROTOCOL §5): a loss all the same.
    // Nor when a loss joined meanwhile went below `m` first: the offsets up to the head were
    // handed out again, and what is at them now was not delivered. Each next one is of
    // another epoch than the one before it: said from where that one ended.
    for (const x of l ?? []) {
      if (x[1] != e || x[0] != o || x[3] < o) this._gap(x[0], x[1], x[2], false, { offset: o, epoch: e });
      [o, e] = x;
    }
    return l;
  }

  /** All handlers of `hs` are done with `m`; those in `bad` failed. */
  _settle(m: MessageFrame, hs: readonly Handler[], bad: Map<Handler, unknown> | undefined): void {
    if (bad) {
      const part = this._handled(m) ?? (this._part = { o: m.offset, e: m.epoch, hs: new Set() }).hs;
      for (const h of hs) if (!bad.has(h)) part.add(h);
      this._threw(m, bad);
    }
    // Not ahead: a loss reported while the handlers ran moved past it (said just above,
    // that message included); moving back made the next message resubscribe from a stale
    // position, and redelivering it from the new one cannot bring it. Nor when that loss
    // moved the position back (a head behind `m`): `m` is of the lost history.
    const ahead = !this._sayLost(m, bad) && m.epoch == this._epoch && m.offset > this._offset;
    if (!bad) return this._done(m, !ahead);
    if (this._skip || !ahead) {
      if (ahead) this._gap(m.offset, m.epoch, 'handler-skipped');
      this._busy = true; // so _done() drains the buffer
      // Not ahead: nor is it to move the position (a loss said above moved it back).
      return this._done(m, !ahead);
    }
    // Redeliver: drop what follows, ask the server again from position after a backoff
    // (unless nobody is subscribed any more).
    this._busy = false;
    // Only on a welcomed connection: an async handler failing after close() armed a
    // timer that outlived it; and the next welcome subscribes from the position anyway.
    // Nor while a `sub` is in flight (a hole asked for meanwhile): it was sent from the
    // position, its replay redelivers this message. Dropped for a later one, the server
    // sent that replay twice, the second time without `limit` however long the backlog.
    if (this._host._welcomed && this._handlers.length && !this._subRef) this._retryLater(backoffDelay(this._host._reconnect, ++this._failures, 0, this._host._random));
  }

  _threw(m: MessageFrame, bad: Map<Handler, unknown>): void {
    this._report(new LifelineError('HANDLER_ERROR', `handler threw at ${this.name}#${m.offset}`, { cause: bad.values().next().value, channel: this.name }));
  }

  _done(m: MessageFrame, stay?: boolean): void {
    this._failures = 0;
    // Handled by all now: the handlers are not kept alive by it.
    if (this._handled(m)) this._part = null;
    if (!stay && m.epoch == this._epoch && m.offset > this._offset) this._moveTo(m.offset, m.epoch);
    if (this._busy) {
      this._busy = false;
      this._inHs = undefined;
      // Read afresh each time: a handler that throws, or the last unsubscribe, resets the
      // buffer; what was in it must not be delivered (nor move the position) after that.
      while (!this._busy && this._buffer?.length) {
        const x = this._buffer.shift()!;
        if (x.type == 'gap') this._gap(x.offset, x.epoch, 'hole', true, { offset: x.from, epoch: x.epoch });
        else this._deliver(x);
      }
    }
    // Overflowed, or a page of a paged catch-up handled: the next page from the position.
    // A page at most: the whole backlog again, of which the buffer kept 1000 and dropped
    // the rest, made the server send it over and over (~backlog²/2000 messages).
    if (!this._busy && !this._buffer?.length && (this._overflowed || (this._more && !this._replayLeft))) this._resync();
  }

  /** Forgets what is pending and subscribes again from position after `ms`. */
  _retryLater(ms: number, limit = this._more || this._overflowed || this._replayLeft! > 1000 ? 1000 : void 0): void {
    this._reset();
    this._after(ms, () => this._resync(limit));
  }

  // ---------------------------------------------------------------- from the client

  /** A connection was welcomed: subscribe again from the position, re-enter presence. */
  _connected(): void {
    // Not when it went out on this connection already (a listener told during the
    // re-subscription subscribed it): _disconnected cleared the last one.
    if (this._handlers.length && !this._subRef) this._sendSub();
    this._pres?._again();
    this._pres?._sendEnter(true);
  }

  /** The connection is gone; `error` set when the client closed for good. */
  _disconnected(error?: LifelineError): void {
    this._reset();
    this._pres?._disconnected(error);
    // An idle channel has no handlers: it stays idle.
    this._setState(this._handlers.length ? 'subscribing' : 'idle');
  }

  /** The hot path: one inbound `msg`. */
  _onMsg(m: MessageFrame): void {
    // Overflowed: nothing more is taken until the buffer drained and the resync from the
    // position replays what was left out (taking a later message would skip those).
    // Not welcomed: the socket is closing (ws still delivers meanwhile); taking a message
    // there moved the position past one whose handler failed. The next subscribe replays them.
    if (!this._host._welcomed || this._subRef || this._timer != null || this._overflowed || !this._handlers.length) return;
    if (m.epoch != this._epoch) return this._resync();
    const o = m.offset;
    const counters = this._host._counters;
    const s = this._seen;
    const r = this._replayLeft;
    // Counted before the dedupe: a page of which a message was in hand already (a hole asked
    // for while busy) ended one message short, and the next page was never asked for.
    if (r) this._replayLeft = r - 1;
    if (o <= s) {
      counters.deduped++;
      return;
    }
    // Moved before the gap event, so that a listener's reset (_reset: it unsubscribed,
    // closed the client) shows below.
    this._seen = o;
    if (o != s + 1) {
      if (this._holeAt != s) {
        this._holeAt = s;
        return this._resync();
      }
      // Asked once already and the server could not fill it: say so, then go on. While
      // busy, when delivery reaches it: said at once, it came before the messages buffered
      // ahead of it (a consumer checkpointing a gap's end skipped them on a crash).
      if (this._busy) (this._buffer ??= []).push({ type: 'gap', from: s, offset: o - 1, epoch: m.epoch });
      else {
        this._gap(o - 1, m.epoch, 'hole', true, { offset: s, epoch: m.epoch });
        // Reset by a gap listener: `m` is not to be taken (nobody may want it).
        if (this._seen != o) return;
      }
    }
    counters.received++;
    if (r) counters.replayed++;
    if (!this._busy) this._deliver(m);
    // At most 1000 messages buffered behind an async handler; past that, replay.
    else if ((this._buffer ??= []).length < 1000) this._buffer.push(m);
    else this._overflowed = true;
  }

  _onSubscribed(f: SubscribedFrame): void {
    // Not ref 0 (which no request carries): `_subRef` is 0 (or unset) when nothing is pending.
    if (!f.ref || f.ref !== this._subRef) return;
    // `since` went out iff we had a position; it cannot change while the sub is pending.
    const lost = this._epoch !== null && f.recovered === false;
    const reason = f.reason ?? 'epoch-changed';
    let back: number | false | undefined;
    if (lost) {
      // The retained tail of the log (the last `replay` messages up to the head) follows
      // (PROTOCOL §5): the gap ends before it. A `replay` that is no count (a hostile
      // server) ends it at the head or, past the head, at 0.
      let to = f.offset - Math.min(f.replay! >>> 0, f.offset);
      if (f.epoch != this._epoch) {
        // Back in an epoch it left (see `_past`): the gap ends where it was there, and that
        // tail is asked for again from there (below), so what it had is not handed twice.
        // `_seen`: an async handler's message counts as had (a failure on it was said as a gap).
        const p = (this._past ??= new Map());
        const r = p.get(f.epoch);
        p.delete(f.epoch);
        p.set(this._epoch!, this._seen);
        if (p.size > 4) p.delete(p.keys().next().value!);
        back = r! > to && (to = r!);
      }
      // An async handler busy with a message: whether the loss starts after it or at it is
      // known when it is done (_sayLost); a later loss meanwhile in the same epoch joins it
      // (one gap), one into another epoch follows it (see `_lost`). Without one, not when the
      // tail starts right after the position: an async handler finished the message it had
      // when the `sub` went out (from before it) meanwhile, and a gap from it to it covers
      // nothing (see `_sayLost`).
      if (this._busy) {
        const l = (this._lost ??= []);
        // The position is at the end of the last one (moved just below, and nothing else
        // moves it while busy): in the same epoch, this loss joins it.
        // Bounded, for a handler that never settles while the client keeps moving into
        // other epochs (a memory broker restarting again and again): from the fifth on, a loss
        // into another epoch merges into the last one, said as one 'merged' gap (low -1:
        // always said, though it may end where it started, E#5 to E#5 through F).
        const j = f.epoch == this._epoch;
        const z = (j || l[3]) && l.pop();
        const low = z ? (j ? Math.min(to, z[3]) : -1) : to;
        l.push([to, f.epoch, low < 0 ? 'merged' : reason, low]);
        this._moveTo(to, f.epoch);
      } else if (to != this._offset || f.epoch != this._epoch) this._gap(to, f.epoch, reason);
      // A hole asked for in the old history says nothing of the new one: a hole at the
      // same offset in a new epoch was taken as unfillable (a gap, not a replay). Nor do the
      // handlers that had a message a failure left half-delivered (`_part`): a head behind
      // it hands its offset out again, and they were skipped for the new message there.
      this._holeAt = -1;
      this._part = null;
    } else if (this._epoch === null) this._moveTo(f.offset, f.epoch);
    if (this._pres || f.presence?.length) this.presence._reset(f.presence);
    // `_subRef` is kept while listeners are told: one that unsubscribed, subscribed
    // again or closed the client changed it, and this answer no longer counts (it
    // marked the channel subscribed all the same).
    if (f.ref !== this._subRef) return;
    this._subRef = 0;
    this._replayLeft = f.replay;
    this._more = f.more;
    // Back in a left epoch: the tail from the server's own judgement of where it was
    // (`recovered: true` with what came after, or a loss it says), a page at most if this
    // answer was one; what this answer replays is ignored meanwhile.
    if (back) return this._resync();
    if (lost || !this._busy) this._seen = this._offset;
    this._lastError = null;
    this._setState('subscribed');
  }

  /** An error frame about this channel. */
  _onError(e: LifelineError, ref: number | undefined): void {
    // A refused presence.enter is an error event too (its promise alone went unseen).
    if (!this._pres?._answer(ref, e) && ref && ref === this._subRef) {
      this._subRef = 0;
      // Transient (e.g. BROKER_UNAVAILABLE): the server said when to ask again; a malformed
      // hint (-1, '5') waits 1 s, neither at once, in a loop, nor never.
      if (e.retryAfterMs != null) this._retryLater(hintDelay(e.retryAfterMs));
      else {
        this._lastError = e;
        this._setState('failed');
      }
    }
    this._report(e);
  }
}
