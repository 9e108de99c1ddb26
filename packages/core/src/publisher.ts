import { LifelineError, type LifelineErrorCode } from './errors';
import type { DEFAULT_OUTBOX, OutboxEvent } from './outbox';
import type { AckFrame, ErrorFrame, ServerLimits } from './protocol';
import type { Clock, PublishOptions, PublishResult } from './types';
import { CHANNEL_NAME, utf8Length } from './utf8';

export interface PublisherHost {
  clock: Clock;
  outbox: typeof DEFAULT_OUTBOX;
  /** Prefix of generated idempotency ids (`clientId-instanceNonce`). */
  idPrefix: string;
  /** Sends a frame when the connection is welcomed; false when it is not. */
  send(text: string): boolean;
  ref(): number;
  closing(): boolean;
  onOutbox(e: OutboxEvent): void;
}

/**
 * The publishing side and its outbox: builds `pub` frames (data serialised once),
 * keeps them in order, sends them paced by the server's publish rate limit, and
 * settles them on `ack` or `error`. Unacknowledged publishes are either in the
 * `queue` (not sent on the current connection) or in flight (sent, awaiting an ack);
 * both count towards the bounds.
 */
export interface Publisher {
  readonly size: number;
  readonly bytes: number;
  publish(channel: string, data: unknown, options?: PublishOptions): Promise<PublishResult>;
  /** A welcome arrived: adopt the server's limits and send what is queued. */
  connected(limits: ServerLimits | null): void;
  /** The connection is gone: in-flight publishes are queued again (same ids, same order). */
  disconnected(): void;
  onAck(f: AckFrame): void;
  /** An error frame; true when it answered one of our publishes. */
  onError(f: ErrorFrame, e: LifelineError): boolean;
  /** Rejects queued publishes whose TTL elapsed. In-flight ones are past TTL's reach. */
  expire(now: number): void;
  failAll(error: LifelineError): void;
  /** Called whenever the outbox becomes empty after an ack (close with onClose 'flush'). */
  onEmpty: (() => void) | null;
  /** Resolves once nothing is queued or in flight (acked, failed, expired or dropped). */
  flushed(): Promise<void>;
}

interface Entry {
  /** Publish order; the queue stays sorted by it. */
  seq: number;
  id: string;
  channel: string;
  /** The `pub` frame after its ref: `,"channel":…,"id":…,"data":…}`. */
  tail: string;
  /** UTF-8 size of the frame. */
  bytes: number;
  expiresAt: number;
  /** Ref of the `pub` on the current connection; 0 while queued. */
  ref: number;
  resolve(r: PublishResult): void;
  reject(e: LifelineError): void;
}

const fail = (code: LifelineErrorCode, channel: string, detail: string) =>
  new LifelineError(code, `publish to ${channel}: ${detail}`, { channel });

export function createPublisher(h: PublisherHost): Publisher {
  const { clock, outbox: o } = h;
  let queue: Entry[] = [];
  const inFlight = new Map<number, Entry>();
  let bytes = 0;
  let limits: ServerLimits | null = null;
  let idSeq = 0;
  /** Publish order across ids chosen by the caller and by the client. */
  let order = 0;
  /** The server's publishPerSec when usable (finite, > 0), else 0: not paced. */
  let rate = 0;
  let bucket = 0;
  let bucketAt = 0;
  let timer: unknown = null;
  /** A welcomed connection exists; nothing is sent before. */
  let live = false;
  /** Resolvers of flushed(): called when the outbox becomes empty, however it emptied. */
  let idle: Array<() => void> = [];

  const size = () => queue.length + inFlight.size;
  const emptied = () => {
    if (size()) return;
    const rs = idle;
    idle = [];
    for (const r of rs) r();
  };
  const err = (code: LifelineErrorCode, e: Entry, detail: string) => fail(code, e.channel, `${e.id} ${detail}`);
  /** Rejects `e` (not or no longer in the outbox) and reports it as an `outbox` event. */
  const refuse = (e: Entry, kind: OutboxEvent['kind'], error: LifelineError) => {
    e.reject(error);
    h.onOutbox({ kind, id: e.id, channel: e.channel, error });
  };
  /** Drops `e` (queued or in flight) and reports it. */
  const drop = (e: Entry, kind: OutboxEvent['kind'], error: LifelineError) => {
    const i = queue.indexOf(e);
    if (i >= 0) queue.splice(i, 1);
    else if (!inFlight.delete(e.ref)) return;
    bytes -= e.bytes;
    refuse(e, kind, error);
    emptied();
  };
  /** Puts an in-flight entry back in the queue, keeping publish order. */
  const requeue = (e: Entry) => {
    inFlight.delete(e.ref);
    e.ref = 0;
    let i = queue.length;
    while (i > 0 && queue[i - 1]!.seq > e.seq) i--;
    queue.splice(i, 0, e);
  };
  const stop = () => {
    if (timer !== null) clock.clearTimeout(timer);
    timer = null;
  };
  const later = (ms: number) => {
    stop();
    timer = clock.setTimeout(() => {
      timer = null;
      flush();
    }, ms);
  };

  /** Sends queued publishes in order, as fast as the rate limit allows. */
  const flush = (): void => {
    if (!live || timer !== null) return;
    const t = clock.now();
    if (rate) {
      bucket = Math.min(limits!.publishBurst, bucket + ((t - bucketAt) * rate) / 1000);
      bucketAt = t;
    }
    while (queue.length) {
      const e = queue[0]!;
      if (e.expiresAt <= t) drop(e, 'expired', err('OUTBOX_EXPIRED', e, 'expired'));
      else if (limits && e.bytes > limits.maxFrameBytes) drop(e, 'rejected', err('MESSAGE_TOO_LARGE', e, `${e.bytes} B > maxFrameBytes`));
      else if (bucket < 1) return later(Math.ceil(((1 - bucket) * 1000) / rate));
      else {
        const r = h.ref();
        if (!h.send('{"type":"pub","ref":' + r + e.tail)) return;
        bucket--;
        queue.shift();
        e.ref = r;
        inFlight.set(r, e);
      }
    }
  };

  const p: Publisher = {
    get size() {
      return size();
    },
    get bytes() {
      return bytes;
    },
    onEmpty: null,
    publish: (channel, data, po = {}) =>
      new Promise((resolve, reject) => {
        const bad = (detail: string) => reject(fail('BAD_ARGUMENT', channel, detail));
        if (h.closing()) return reject(fail('CLIENT_CLOSED', channel, 'client closing'));
        const id = po.id ?? `${h.idPrefix}-${(++idSeq).toString(36)}`;
        let json: string | undefined;
        try {
          json = JSON.stringify(data);
        } catch {
          // reported below as not JSON
        }
        if (json === undefined) return bad('data is not JSON');
        if (!CHANNEL_NAME.test(channel)) return bad('invalid channel name');
        if (typeof id !== 'string' || !id || id.length > 128) return bad('id must be 1-128 chars');
        const tail = `,"channel":${JSON.stringify(channel)},"id":${JSON.stringify(id)},"data":${json}}`;
        // '{"type":"pub","ref":' is 20 bytes; 10 more leave room for the ref's digits.
        const b = utf8Length(tail) + 30;
        if (limits && b > limits.maxFrameBytes) {
          return reject(fail('MESSAGE_TOO_LARGE', channel, `${b} B > maxFrameBytes`));
        }
        const e: Entry = { seq: ++order, id, channel, tail, bytes: b, expiresAt: clock.now() + (po.ttlMs ?? o.ttlMs), ref: 0, resolve, reject };
        if (o.overflow === 'drop-oldest') {
          while (queue.length && (size() >= o.maxMessages || bytes + b > o.maxBytes)) drop(queue[0]!, 'dropped', err('OUTBOX_DROPPED', queue[0]!, 'dropped: outbox full'));
        }
        if (size() >= o.maxMessages || bytes + b > o.maxBytes) {
          return o.overflow === 'drop-newest'
            ? refuse(e, 'dropped', err('OUTBOX_DROPPED', e, 'dropped: outbox full'))
            : refuse(e, 'rejected', err('OUTBOX_FULL', e, 'outbox full'));
        }
        queue.push(e);
        bytes += b;
        flush();
      }),
    connected(l) {
      live = true;
      limits = l;
      const r = l?.publishPerSec;
      rate = r! > 0 && r! < 1 / 0 ? r! : 0;
      bucket = rate ? l!.publishBurst : 1 / 0;
      bucketAt = clock.now();
      stop();
      flush();
    },
    disconnected() {
      live = false;
      stop();
      for (const e of [...inFlight.values()].sort((a, b) => b.seq - a.seq)) requeue(e);
    },
    onAck(f) {
      const e = inFlight.get(f.ref);
      if (!e) return;
      inFlight.delete(f.ref);
      bytes -= e.bytes;
      e.resolve({ offset: f.offset, epoch: f.epoch, duplicate: f.duplicate === true });
      if (!size()) p.onEmpty?.();
      emptied();
    },
    onError(f, error) {
      const e = f.ref === undefined ? undefined : inFlight.get(f.ref);
      if (!e) return false;
      if (f.code === 'RATE_LIMITED' || f.code === 'BROKER_UNAVAILABLE') {
        // Not stored: send it again (same id) once the server says it may succeed.
        requeue(e);
        if (rate) bucket = 0;
        later(f.retryAfterMs ?? 1000);
      } else drop(e, 'rejected', error);
      return true;
    },
    expire(now) {
      for (const e of queue.filter((q) => q.expiresAt <= now)) drop(e, 'expired', err('OUTBOX_EXPIRED', e, 'expired'));
    },
    failAll(error) {
      stop();
      const all = [...inFlight.values(), ...queue];
      queue = [];
      inFlight.clear();
      bytes = 0;
      for (const e of all) e.reject(error);
      emptied();
    },
    flushed: () => new Promise((resolve) => (size() ? idle.push(resolve) : resolve())),
  };
  return p;
}
