import { LifelineError, type LifelineErrorCode } from './errors';
import type { DEFAULT_OUTBOX, OutboxEvent } from './outbox';
import type { AckFrame, ErrorFrame, ServerLimits } from './protocol';
import type { Clock, PublishOptions, PublishResult } from './types';
import { CHANNEL_RULE, isChannelName } from './channelName';
import { randomId } from './options';
import { isWireId } from './wireId';
import { utf8Length } from './utf8';
import { hintDelay, Timed } from './clock';

/** What the publisher needs from its client. */
export interface PublisherHost {
  readonly _clock: Clock;
  readonly _outbox: typeof DEFAULT_OUTBOX;
  readonly clientId: string;
  readonly _random: () => number;
  /** The server's limits from the current connection's welcome. */
  readonly _limits?: ServerLimits | null;
  /** False or undefined when nothing was written (no socket, or one closing). */
  _send(text: string): boolean | undefined;
  _ref(): number;
  /** Set while close() runs: publishes are refused. */
  readonly _closing?: Promise<void> | null;
  emit(event: 'outbox', e: OutboxEvent): void;
}

interface Entry {
  /** Publish order; the queue stays sorted by it. */
  _seq: number;
  id: string;
  channel: string;
  /** The `pub` frame after its ref: `,"channel":…,"id":…,"data":…}`. */
  _tail: string;
  /** UTF-8 size of the frame with a one-digit ref (the real ref is known when it is sent). */
  _bytes: number;
  /** Infinity once sent: a publish that may be stored is re-sent until acked, never expired. */
  _expiresAt: number;
  /**
   * Ref of the `pub` once sent (0 before): a re-send uses it again, so the frame is the
   * same bytes (a new ref with one more digit made a stored publish too large for the
   * limit it had met). Refs never repeat, so it names nothing else on a new connection.
   * Set, the publish may be stored: drop-oldest never evicts it.
   */
  ref: number;
  /** When it was last sent (set when sent): the client's ack timeout counts from it. */
  _sentAt?: number;
  _resolve(r: PublishResult): void;
  _reject(e: LifelineError): void;
}

const fail = (code: LifelineErrorCode, channel: string, detail: string) =>
  new LifelineError(code, `publish to ${channel}: ${detail}`, { channel });
const err = (code: LifelineErrorCode, e: Pick<Entry, 'channel' | 'id'>, detail: string) => fail(code, e.channel, `${e.id} ${detail}`);
/** Said the same before and after the limit is known, with the limit (not only the size). */
const tooLarge = (e: Entry, max: number, bytes = e._bytes) =>
  err('MESSAGE_TOO_LARGE', e, `${bytes} B > maxFrameBytes ${max}${e.ref ? ', sent before: it may be stored' : ''}`);

/**
 * The publishing side and its outbox: builds `pub` frames (data serialised once),
 * keeps them in order, sends them paced by the server's publish rate limit, and
 * settles them on `ack` or `error`. Unacknowledged publishes are either in the
 * queue (not sent on the current connection) or in flight (sent, awaiting an ack);
 * both count towards the bounds. The client creates it on the first publish.
 */
export class Publisher extends Timed {
  _queue: Entry[] = [];
  _inFlight = new Map<number, Entry>();
  _bytes = 0;
  _idSeq = 0;
  /** Publish order across ids chosen by the caller and by the client. */
  _order = 0;
  // The pacing fields are set by _connected, before anything is sent (none is read before).
  /** The server's publishPerSec when usable (finite, > 0), else 0: not paced. */
  _rate!: number;
  _bucket!: number;
  /**
   * The server's publishBurst, at least 1: below 1 (or not a number) the bucket never
   * held a whole token and nothing was ever sent; NaN switched pacing off.
   */
  _burst!: number;
  _bucketAt!: number;
  /**
   * Fires at the earliest TTL in the queue, in every state: the liveness check that
   * expired them only ran while the client had been started, so a publish made before
   * connect() or after close() never expired. Unset or null while nothing queued can expire
   * (an idle client arms nothing).
   */
  _ttlTimer?: unknown;
  /** Connected to a welcomed connection (set by _connected, cleared by _disconnected and _failAll). */
  _live?: boolean;
  /**
   * A publish was refused with a retry hint: nothing is sent until every publish in flight
   * then is answered. Those sent after it on its channel come back refused too, and sending
   * newer ones meanwhile stored them ahead of those (publish order broken).
   */
  _hold?: boolean;
  /**
   * What flushed() answers while the outbox holds something, and its resolver: settled when the
   * outbox becomes empty, however it emptied. One for every caller: one resolver per call
   * (`whenFlushed()` polled while offline) was kept until then, without bound.
   */
  _idleP?: Promise<void>;
  _idleR?: () => void;

  _host: PublisherHost;
  override _clock: Clock;
  /** Prefix of the ids this publisher generates (`clientId-instanceNonce`), drawn once. */
  _idPrefix: string;

  constructor(host: PublisherHost) {
    super();
    this._host = host;
    this._clock = host._clock;
    // At most 100 units of the clientId: a long one (up to 128 is valid) made every
    // generated id longer than 128, so every publish without its own id was refused.
    // Nor half of a surrogate pair, cut at the 100th unit: an id with a lone one is refused.
    this._idPrefix = `${host.clientId.slice(0, 100).replace(/[\ud800-\udbff]$/, '')}-${randomId(host._random)}`;
  }

  get _size(): number {
    return this._queue.length + this._inFlight.size;
  }

  _publish(channel: string, data: unknown, po?: PublishOptions): Promise<PublishResult> {
    return new Promise((resolve, reject) => {
      const h = this._host;
      const o = h._outbox;
      const bad = (detail: string) => reject(fail('BAD_ARGUMENT', channel, detail));
      if (h._closing) return reject(fail('CLIENT_CLOSED', channel, 'client closing'));
      const id = po?.id ?? `${this._idPrefix}-${(++this._idSeq).toString(36)}`;
      let json: string | undefined;
      try {
        json = JSON.stringify(data);
      } catch {
        // reported below as not JSON
      }
      if (json === undefined) return bad('data is not JSON');
      if (!isChannelName(channel)) return bad(`invalid channel name: ${CHANNEL_RULE}`);
      if (!isWireId(id)) return bad('id must be 1-128 well-formed chars');
      const ttl = po?.ttlMs ?? o.ttlMs;
      // typeof: a string '5000' was glued onto the clock's time as text. Not 0: it expired
      // before it could be sent, even on an open connection with nothing queued.
      if (typeof ttl !== 'number' || !(ttl > 0)) return bad('ttlMs must be a number > 0');
      const tail = `,"channel":${JSON.stringify(channel)},"id":${JSON.stringify(id)},"data":${json}}`;
      // '{"type":"pub","ref":' is 20 bytes, and the ref at least 1: counting 10 digits
      // refused a frame up to 9 B under the limit. The real size is checked when sent.
      const b = utf8Length(tail) + 21;
      const e: Entry = { _seq: ++this._order, id, channel, _tail: tail, _bytes: b, _expiresAt: this._clock.now() + ttl, ref: 0, _resolve: resolve, _reject: reject };
      const max = h._limits?.maxFrameBytes ?? Infinity;
      const full = () => this._size >= o.maxMessages || this._bytes + b > o.maxBytes;
      if (b > max) return reject(tooLarge(e, max));
      if (o.overflow == 'drop-oldest' && full()) {
        // Evict only what was never sent, and only when that makes room: a publish sent
        // (in flight, or queued again after a reconnect) may be stored, so it stays until
        // acked (dropping it said OUTBOX_DROPPED for a delivered message); the new one must
        // fit beside those, else dropping the rest would lose it all for nothing.
        let n = 0;
        let nb = 0;
        for (const x of this._queue) if (!x.ref) n++, (nb += x._bytes);
        if (this._size - n < o.maxMessages && this._bytes - nb + b <= o.maxBytes) {
          while (full()) {
            // Not _drop(): the outbox is about to hold `e`, so whenFlushed() must not resolve.
            const old = this._queue.splice(this._queue.findIndex((x) => !x.ref), 1)[0]!;
            this._bytes -= old._bytes;
            this._refuse(old, 'dropped', err('OUTBOX_DROPPED', old, 'dropped: outbox full'));
          }
          // An `outbox` listener may have closed the client meanwhile.
          if (h._closing) return reject(fail('CLIENT_CLOSED', channel, 'client closing'));
        }
      }
      if (full()) {
        return o.overflow == 'drop-newest'
          ? this._refuse(e, 'dropped', err('OUTBOX_DROPPED', e, 'dropped: outbox full'))
          : this._refuse(e, 'rejected', err('OUTBOX_FULL', e, 'outbox full'));
      }
      this._queue.push(e);
      this._bytes += b;
      this._flush();
    });
  }

  /** Resolves once nothing is queued or in flight (acked, failed, expired or dropped). */
  _flushed(): Promise<void> {
    return this._size ? (this._idleP ??= new Promise((r) => (this._idleR = r))) : Promise.resolve();
  }

  _emptied(): void {
    if (this._size) return;
    const r = this._idleR;
    this._idleP = this._idleR = undefined;
    r?.();
  }

  /** Rejects `e` (not or no longer in the outbox) and reports it as an `outbox` event. */
  _refuse(e: Entry, kind: OutboxEvent['kind'], error: LifelineError): void {
    e._reject(error);
    this._host.emit('outbox', { kind, id: e.id, channel: e.channel, error });
  }

  /** Drops `e` (queued or in flight) and reports it. */
  _drop(e: Entry, kind: OutboxEvent['kind'], error: LifelineError): void {
    const i = this._queue.indexOf(e);
    if (i >= 0) this._queue.splice(i, 1);
    else if (!this._inFlight.delete(e.ref)) return;
    this._bytes -= e._bytes;
    this._refuse(e, kind, error);
    this._emptied();
  }

  /** Puts an in-flight entry back in the queue, keeping publish order. */
  _requeue(e: Entry): void {
    const q = this._queue;
    this._inFlight.delete(e.ref);
    let i = q.length;
    while (i > 0 && q[i - 1]!._seq > e._seq) i--;
    q.splice(i, 0, e);
  }

  /**
   * Fails what is queued past its TTL, sends the rest in order as fast as the rate limit
   * allows, and sets the TTL timer for what is left.
   */
  _flush(due?: number): void {
    const h = this._host;
    const c = this._clock;
    const t = c.now();
    const q = this._queue;
    // The TTL timer fired, so real time reached `due`; a wall clock behind it was stepped
    // back: move every deadline back by as much (or each TTL would last that much longer).
    if (due! > t) for (const e of q) e._expiresAt -= due! - t;
    for (const e of q.filter((x) => x._expiresAt <= t)) this._drop(e, 'expired', err('OUTBOX_EXPIRED', e, 'expired'));
    if (!this._inFlight.size) this._hold = false;
    // `_live` again each time: an `outbox` listener may close the client meanwhile.
    if (this._live && this._timer == null && !this._hold) {
      const limits = h._limits;
      if (this._rate) {
        // max: a wall clock stepped back must not drain the bucket (publishes held that long).
        this._bucket = Math.min(this._burst, this._bucket + (Math.max(0, t - this._bucketAt) * this._rate) / 1000);
        this._bucketAt = t;
      }
      while (this._live && q.length) {
        const e = q[0]!;
        if (this._bucket < 1) {
          this._after(Math.ceil(((1 - this._bucket) * 1000) / this._rate), () => this._flush());
          break;
        }
        const r = e.ref || h._ref();
        const bytes = e._bytes + String(r).length - 1;
        if (limits && bytes > limits.maxFrameBytes) {
          // Sent before (to a server allowing more), so perhaps stored: said, or an app
          // re-publishing it under a new id could store it twice.
          this._drop(e, 'rejected', tooLarge(e, limits.maxFrameBytes, bytes));
          continue;
        }
        // Not written (the socket is closing; its close event comes next): still never sent,
        // so its TTL and drop-oldest apply (taken for sent, it waited for the next connection).
        if (!h._send('{"type":"pub","ref":' + r + e._tail)) break;
        this._bucket--;
        q.shift();
        e.ref = r;
        // Sent, so perhaps stored: from now on it is re-sent (same id) until acked, never
        // expired (an app re-publishing on OUTBOX_EXPIRED could store it twice).
        e._expiresAt = Infinity;
        e._sentAt = t;
        this._inFlight.set(r, e);
      }
    }
    let at = Infinity;
    for (const e of q) if (e._expiresAt < at) at = e._expiresAt;
    if (this._ttlTimer != null) c.clearTimeout(this._ttlTimer);
    // The timer's handle is not forgotten when it fires: clearing a fired timer is a no-op.
    // Capped as hosts cap timers, so `due` is when it really fires even for a 30-day TTL.
    const ms = Math.min(at - t, 2147483647); // 2 ** 31 - 1, written as clock.ts's build writes it (gzip)
    this._ttlTimer = at < Infinity ? c.setTimeout(() => this._flush(t + ms), ms) : null;
  }

  /** A welcome arrived: adopt the server's limits and send what is queued. */
  _connected(): void {
    const l = this._host._limits;
    this._live = true;
    const r = l?.publishPerSec;
    this._rate = r! > 0 && r! < Infinity ? r! : 0;
    this._burst = Math.max(1, +l?.publishBurst! || 1);
    this._bucket = this._rate ? this._burst : Infinity;
    this._bucketAt = this._clock.now();
    this._cancel();
    this._flush();
  }

  /** The connection is gone: in-flight publishes are queued again (same ids, same order). */
  _disconnected(): void {
    this._live = false;
    this._cancel();
    // _requeue inserts by publish order, so the order taken here does not matter (and a Map
    // iterated while its current entry is deleted visits every other entry once).
    for (const e of this._inFlight.values()) this._requeue(e);
  }

  _onAck(f: AckFrame): void {
    const e = this._inFlight.get(f.ref);
    if (!e) return;
    this._inFlight.delete(f.ref);
    this._bytes -= e._bytes;
    e._resolve({ offset: f.offset, epoch: f.epoch, duplicate: f.duplicate === true });
    this._emptied();
    if (this._hold) this._flush();
  }

  /** An error frame; true when it answered one of our publishes. */
  _onError(f: ErrorFrame, error: LifelineError): boolean {
    // A frame without a ref finds nothing: refs are numbers.
    const e = this._inFlight.get(f.ref!);
    if (!e) return false;
    if (f.code === 'RATE_LIMITED' || f.code === 'BROKER_UNAVAILABLE') {
      // Not stored: send it again (same id) once the server says it may succeed, and every
      // publish in flight has been answered (see _hold).
      this._requeue(e);
      this._hold = true;
      if (this._rate) this._bucket = 0;
      // Only a real delay: a missing or malformed hint (NaN, '5', -1) waits 1 s, neither at once nor never.
      this._after(hintDelay(f.retryAfterMs!), () => this._flush());
    } else {
      this._drop(e, 'rejected', error);
      if (this._hold) this._flush();
    }
    return true;
  }

  _failAll(error: LifelineError): void {
    // In publish order: one refused with a hint waits in the queue behind later ones in
    // flight, and an app re-publishing from the rejections' callbacks stored them out of order.
    const all = [...this._inFlight.values(), ...this._queue].sort((a, b) => a._seq - b._seq);
    this._live = false;
    this._cancel();
    // Emptied in place: a _flush loop that is running holds this array.
    this._queue.length = 0;
    this._inFlight.clear();
    this._bytes = 0;
    this._flush(); // clears the TTL timer
    for (const e of all) e._reject(error);
    this._emptied();
  }
}
