import { LifelineError } from './errors';
import { createOutbox, type DEFAULT_OUTBOX, type OutboxEntry, type OutboxEvent } from './outbox';
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
 * The publishing side: builds `pub` frames (data serialised once), keeps them in the
 * outbox, sends them in order paced by the server's publish rate limit, and settles
 * them on `ack` or `error`.
 */
export interface Publisher {
  readonly size: number;
  readonly bytes: number;
  publish(channel: string, data: unknown, options?: PublishOptions): Promise<PublishResult>;
  /** A welcome arrived: adopt the server's limits and send what is queued. */
  connected(limits: ServerLimits | null): void;
  /** The connection is gone: in-flight publishes are queued again (same ids). */
  disconnected(): void;
  /** Sends queued publishes in order, as fast as the rate limit allows. */
  flush(): void;
  onAck(f: AckFrame): void;
  /** An error frame; true when it answered one of our publishes. */
  onError(f: ErrorFrame, e: LifelineError): boolean;
  expire(now: number): void;
  failAll(error: LifelineError): void;
  /** Called whenever the outbox becomes empty after an ack (close with onClose 'flush'). */
  onEmpty: (() => void) | null;
  /** Resolves once nothing is queued or in flight (acked, failed, expired or dropped). */
  flushed(): Promise<void>;
  /** Clears the pacing timer. */
  stop(): void;
}

const fail = (code: 'MESSAGE_TOO_LARGE' | 'OUTBOX_EXPIRED' | 'CLIENT_CLOSED' | 'BAD_ARGUMENT', msg: string, channel: string) =>
  new LifelineError(code, msg, { channel });

export function createPublisher(h: PublisherHost): Publisher {
  const { clock } = h;
  /** Resolvers of flushed(): called when the outbox becomes empty, however it emptied. */
  let idle: Array<() => void> = [];
  const settledAll = () => {
    if (outbox.size) return;
    const rs = idle;
    idle = [];
    for (const r of rs) r();
  };
  const outbox = createOutbox(h.outbox, (kind, e, error) => {
    e.reject(error);
    h.onOutbox({ kind, id: e.id, channel: e.channel, error });
    settledAll();
  });
  let limits: ServerLimits | null = null;
  let idSeq = 0;
  /** Publish order across ids chosen by the caller and by the client. */
  let order = 0;
  let bucket = 0;
  let bucketAt = 0;
  let timer: unknown = null;
  /** A welcomed connection exists; nothing is sent before. */
  let live = false;

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

  const flush = (): void => {
    if (!live || timer !== null) return;
    const t = clock.now();
    const rate = limits?.publishPerSec;
    if (rate) {
      bucket = Math.min(limits!.publishBurst, bucket + ((t - bucketAt) * rate) / 1000);
      bucketAt = t;
    }
    const q = outbox.queue;
    while (q.length) {
      const e = q[0]!;
      if (e.expiresAt <= t) outbox.remove(e, 'expired', fail('OUTBOX_EXPIRED', `${e.id} expired`, e.channel));
      else if (limits && e.bytes > limits.maxFrameBytes) {
        outbox.remove(e, 'rejected', fail('MESSAGE_TOO_LARGE', `${e.bytes} > maxFrameBytes`, e.channel));
      } else if (bucket < 1) return later(Math.ceil(((1 - bucket) * 1000) / rate!));
      else {
        const r = h.ref();
        if (!h.send('{"type":"pub","ref":' + r + e.tail)) return;
        bucket--;
        outbox.sent(e, r);
      }
    }
  };

  const p: Publisher = {
    get size() {
      return outbox.size;
    },
    get bytes() {
      return outbox.bytes;
    },
    onEmpty: null,
    publish: (channel, data, po = {}) =>
      new Promise((resolve, reject) => {
        if (h.closing()) return reject(fail('CLIENT_CLOSED', 'client closing', channel));
        const id = po.id ?? `${h.idPrefix}-${(++idSeq).toString(36)}`;
        let json: string | undefined;
        try {
          json = JSON.stringify(data);
        } catch {
          json = undefined;
        }
        if (json === undefined || !CHANNEL_NAME.test(channel) || typeof id !== 'string' || !id || id.length > 128) {
          return reject(fail('BAD_ARGUMENT', 'bad data (not JSON), channel name or id (1-128 chars)', channel));
        }
        const tail = `,"channel":${JSON.stringify(channel)},"id":${JSON.stringify(id)},"data":${json}}`;
        // '{"type":"pub","ref":' is 20 bytes; 10 more leave room for the ref's digits.
        const bytes = utf8Length(tail) + 30;
        if (limits && bytes > limits.maxFrameBytes) {
          return reject(fail('MESSAGE_TOO_LARGE', `${bytes} > maxFrameBytes ${limits.maxFrameBytes}`, channel));
        }
        const expiresAt = clock.now() + (po.ttlMs ?? h.outbox.ttlMs);
        const e: OutboxEntry = { seq: ++order, id, channel, tail, bytes, expiresAt, ref: 0, resolve, reject };
        if (outbox.add(e)) flush();
      }),
    connected(l) {
      live = true;
      limits = l;
      bucket = l?.publishPerSec ? l.publishBurst : Infinity;
      bucketAt = clock.now();
      stop();
      flush();
    },
    disconnected() {
      live = false;
      stop();
      outbox.requeueAll();
    },
    flush,
    onAck(f) {
      const e = outbox.settle(f.ref);
      if (!e) return;
      e.resolve({ offset: f.offset, epoch: f.epoch, duplicate: f.duplicate === true });
      if (!outbox.size) p.onEmpty?.();
      settledAll();
    },
    onError(f, e) {
      const pub = f.ref === undefined ? undefined : outbox.inFlight.get(f.ref);
      if (!pub) return false;
      if (f.code === 'RATE_LIMITED' || f.code === 'BROKER_UNAVAILABLE') {
        // Not stored: send it again (same id) once the server says it may succeed.
        outbox.requeue(pub);
        bucket = 0;
        later(f.retryAfterMs ?? 1000);
      } else outbox.remove(pub, 'rejected', e);
      return true;
    },
    expire: (now) => outbox.expire(now),
    failAll(error) {
      stop();
      outbox.failAll(error);
      settledAll();
    },
    flushed: () => new Promise((resolve) => (outbox.size ? idle.push(resolve) : resolve())),
    stop,
  };
  return p;
}
