import type { ChannelHost } from './channel';
import { LifelineError } from './errors';
import type { PresenceEventFrame, PresenceMember } from './protocol';
import type { Clock } from './types';
import { hintDelay, Timed } from './clock';
import { utf8Length } from './utf8';
import { noop } from './domSocket';

interface Waiter {
  ref: number;
  /** The wish it was sent with (set with `ref`). */
  _x?: [info: unknown];
  _resolve(): void;
  /** `noop` for the client's own (a re-entry after a reconnect): no promise behind it. */
  _reject(e: LifelineError): void;
  /** The promise enter() gave for it. */
  _p?: Promise<void>;
}

/** What presence needs from its channel. */
export interface PresenceHost {
  readonly name: string;
  /** Its client, which sends the frames (`_welcomed`: they can be sent now). */
  readonly _host: Pick<ChannelHost, '_welcomed' | '_send' | '_ref' | '_limits' | '_tokenLast'>;
  readonly _clock: Clock;
  emit(event: 'presence', members: readonly PresenceMember[]): void;
  /** Settles the enter sent with `ref` (a refusal) and reports the error. */
  _onError(e: LifelineError, ref: number): void;
}

/** The empty list of every kind (members, a channel's handlers, a client's channels): frozen, never changed in place. */
export const EMPTY: readonly never[] = Object.freeze([]);

/**
 * One channel's presence (`channel.presence`): the member list (replaced on every
 * change, so it can be handed out as a snapshot) and this client's wish to be present,
 * which is re-entered after every reconnect. Created on first use: a channel nobody
 * is present on costs nothing.
 */
export class Presence extends Timed {
  _byId = new Map<string, PresenceMember>();
  _list: readonly PresenceMember[] = EMPTY;
  /**
   * Info to be present with, or undefined when this client does not want to be present.
   * A copy taken at enter() (through JSON): the caller's object made circular later threw
   * inside the next welcome, and a later change of it is not what was entered.
   */
  _wanted?: [info: unknown];
  /** The wish the server last confirmed (presence.ok): what it holds for this client. */
  _ok?: [info: unknown];
  _waiters: Waiter[] = [];
  /**
   * The enter went out on this connection: the welcome's re-entry skips it (an `error`
   * listener told earlier in the same welcome entered already; it went out twice).
   */
  _sent?: boolean;
  /**
   * When the enter in flight (a waiter with a ref; one at most) was sent: the client's ack
   * timeout counts from it (Client._tick). Enters waiting behind it are not sent yet.
   */
  _sentAt?: number;
  /**
   * The leave still owed to the server: 0 to be sent (by the next welcome, or when a refusal's
   * hint ran out), else the ref of the one sent and not answered yet; unset: none. Sent once,
   * a leave refused during a broker outage (or made while disconnected) left the member
   * listed to others until its entry's TTL (or the old connection's grace period) ran out.
   */
  _leave?: number;
  /**
   * The wish the server refused `FORBIDDEN`, and the token it was refused under (the client's
   * `_tokenLast`): entered again once a token may allow it (`_again`), as a `failed` channel
   * subscribes again. Dropped, it stayed out until the app called enter() again.
   */
  _refused?: [wish: [info: unknown], token: string | undefined] | null;
  // `_timer` (Timed): the enter (or the leave) the server refused for now, sent again when it said to.

  _host: PresenceHost;

  // Not a TS parameter property: esbuild would not rename it in dist.
  constructor(host: PresenceHost) {
    super();
    this._host = host;
  }

  /** The channel's (so the client's), for its retry timer. */
  override get _clock(): Clock {
    return this._host._clock;
  }

  members(): readonly PresenceMember[] {
    return this._list;
  }

  enter(info?: unknown): Promise<void> {
    let json: string | undefined;
    try {
      json = JSON.stringify(info);
    } catch (cause) {
      // Refused here: kept as the wish, it threw inside every later welcome (the other
      // channels were not re-subscribed, the outbox not sent).
      return Promise.reject(new LifelineError('BAD_ARGUMENT', `presence.enter ${this._host.name}: info is not JSON`, { cause, channel: this._host.name }));
    }
    this._wanted = [json && JSON.parse(json)];
    // A leave still owed is dropped (sent after this enter, it undid it), as is its retry.
    // Not an enter's retry: it sends this info when the server's hint is over (sent now,
    // a RATE_LIMITED one was refused again).
    this._leave == 0 && this._cancel();
    this._leave = this._refused = undefined;
    // Enters not sent yet (offline, or behind the one in flight) go out as one (the latest
    // wish) and settle together: they share a waiter. One each, an app updating its info
    // while offline (a cursor) kept one per call.
    const w = this._waiters[this._waiters.length - 1];
    const p = w?._p && !w.ref ? w._p : new Promise<void>((resolve, reject) => void this._waiters.push({ ref: 0, _resolve: resolve, _reject: reject }));
    this._waiters[this._waiters.length - 1]!._p = p;
    this._sendEnter();
    return p;
  }

  async leave(): Promise<void> {
    this._wanted = this._ok = this._refused = undefined;
    this._cancel();
    // Enters not sent yet will never be: they are settled here, as if entered then left
    // (a sent one is answered by the server, before the leave, and its answer confirms
    // nothing: kept as confirmed, a later refused enter went back to it at the next reconnect).
    this._waiters = this._waiters.filter((w) => ((w._x = undefined), w.ref) || void w._resolve());
    this._leave = 0;
    this._sendEnter();
  }

  /** Replaces the list (a new frozen array) only when a member joined, left or changed. */
  _publish(): void {
    const list = [...this._byId.values()];
    const before = new Map(this._list.map((m) => [m.clientId, JSON.stringify(m)]));
    if (list.length == before.size && list.every((m) => before.get(m.clientId) == JSON.stringify(m))) return;
    this._host.emit('presence', (this._list = Object.freeze(list)));
  }

  /** Replaces the member list (from a `subscribed` reply). */
  _reset(members: PresenceMember[] = []): void {
    this._byId.clear();
    for (const m of members) this._byId.set(m.clientId, m);
    this._publish();
  }

  _onEvent(f: PresenceEventFrame): void {
    const m = f.member; // checked by the frame router
    if (f.event === 'leave') this._byId.delete(m.clientId);
    else this._byId.set(m.clientId, m);
    this._publish();
  }

  /**
   * Sends the leave still owed (see `_leave`), or the enter when wanted, if the connection
   * is welcomed; else the next welcome sends it. `again` (the welcome's re-entry): not when
   * it went out on this connection. Nor while an enter is in flight or waits out a hint: its
   * answer (or the hint's end) sends the latest. One per change, a cursor or typing
   * indicator sent ~1,000 a second and the server refused most `RATE_LIMITED`.
   */
  _sendEnter(again?: boolean): void {
    const c = this._host._host;
    if (!c._welcomed) return;
    if (this._leave == 0) c._send(JSON.stringify({ type: 'presence.leave', ref: (this._leave = c._ref()), channel: this._host.name }));
    if (this._wanted && !(again && this._sent) && this._timer == null && !this._waiters.some((w) => w.ref)) {
      this._sent = true;
      this._sentAt = this._clock.now();
      const ref = c._ref();
      const frame = JSON.stringify({ type: 'presence.enter', ref, channel: this._host.name, info: this._wanted[0] });
      const n = utf8Length(frame);
      const max = c._limits?.maxFrameBytes ?? Infinity;
      // A re-entry is answered like an enter(): retried after a hint, not sent again once
      // refused (it was sent on every reconnect), timed out when unanswered.
      this._waiters.length || this._waiters.push({ ref: 0, _resolve: noop, _reject: noop });
      for (const w of this._waiters) if (!w.ref) (w.ref = ref), (w._x = this._wanted);
      // The server closes the socket on a frame above its limit (1009): sent anyway, the
      // enter came back with every reconnect, a loop that never settled it.
      if (n > max) this._host._onError(new LifelineError('MESSAGE_TOO_LARGE', `presence.enter ${this._host.name}: ${n} B > maxFrameBytes ${max}`, { channel: this._host.name }), ref);
      else c._send(frame);
    }
  }

  /**
   * A `presence.ok` or an `error` answered `ref`; true when it was ours. A refusal with
   * `retryAfterMs` (the broker is down) is sent again after it (a malformed hint: 1 s);
   * any other rejects the enter, and it is not re-sent on the next connect. The same for
   * the leave owed (the server refuses it `BROKER_UNAVAILABLE` with a hint while its store
   * is down), which has no promise.
   */
  _answer(ref: number | undefined, error?: LifelineError): boolean {
    const ms = error?.retryAfterMs;
    const leave = ref === this._leave;
    // Ref 0 marks enters (and a leave) not sent yet (no request carries it): no answer is for them.
    const mine = ref ? this._waiters.filter((w) => w.ref === ref) : [];
    if (!ref || !(leave || mine.length)) return false;
    if (leave) this._leave = ms == null ? undefined : 0;
    if (ms != null && (leave || this._wanted)) {
      for (const w of mine) w.ref = 0;
      this._after(hintDelay(ms), () => this._sendEnter());
    } else if (!leave) {
      this._waiters = this._waiters.filter((w) => w.ref !== ref);
      for (const w of mine) error ? w._reject(error) : w._resolve();
      const x = mine[0]!._x;
      if (!error) this._ok = x;
      // A newer enter still waiting keeps the wish. Otherwise a refusal goes back to the info
      // last confirmed, which the server still holds (a refused update is no leave): dropped,
      // the member vanished at the next reconnect. Unless that very info was refused.
      else if (!this._waiters.length) {
        // Not after a leave() (no wish: `_x` cleared), nor for a refusal no token cures (BAD_FIELD).
        if (x && error.serverCode == 'FORBIDDEN') this._refused = [x, this._host._host._tokenLast];
        this._wanted = this._ok = x == this._ok ? undefined : this._ok;
      }
      // The enters that waited for this answer go out (with the latest info).
      if (this._waiters.length) this._sendEnter();
    }
    return true;
  }

  /**
   * Enters again what was refused `FORBIDDEN` (`_refused`) when the token may allow it now:
   * the server took a new one in band (`any`: its `authed`), or this connection's hello
   * carried another one than the refusal's.
   */
  _again(any?: unknown): void {
    const r = this._refused;
    if (r && (any || r[1] !== this._host._host._tokenLast)) {
      this._refused = null;
      this._wanted = r[0];
      this._sendEnter();
    }
  }

  /** The connection dropped: enters in flight will be sent again. */
  _disconnected(error?: LifelineError): void {
    // The next connect re-enters anyway: a retry pending now would send it twice.
    this._cancel();
    this._sent = false;
    // A leave sent and not answered may not have been done: sent again by the next welcome.
    this._leave &&= 0;
    // Entered, then left before the answer: nothing will answer now, nor send it again
    // (it waited for good). Settled as leave() settles an enter not sent yet.
    if (!this._wanted) this._waiters = this._waiters.filter((w) => void w._resolve());
    for (const w of this._waiters) w.ref = 0;
    if (!error) return;
    const ws = this._waiters.filter((w) => w._reject != noop);
    this._waiters = [];
    // An enter rejected (the client closed) is not made later: a later connect() entered
    // after the app was told it failed. Only the client's own re-entry: the wish stays.
    if (ws.length) this._wanted = undefined;
    for (const w of ws) w._reject(error);
  }
}
