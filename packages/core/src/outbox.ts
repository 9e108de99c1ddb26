import { LifelineError } from './errors';
import type { OutboxOptions, OverflowPolicy, PublishResult } from './types';

/** Defaults of {@link OutboxOptions}. */
export const DEFAULT_OUTBOX = {
  maxMessages: 1000,
  maxBytes: 1_048_576,
  overflow: 'reject' as OverflowPolicy,
  ttlMs: Infinity,
  onClose: 'fail' as 'flush' | 'fail',
  closeTimeoutMs: 5000,
};

/** What the client's `outbox` event says about a publish that left the outbox unsent. */
export interface OutboxEvent {
  kind: 'rejected' | 'dropped' | 'expired';
  id: string;
  channel: string;
  error: LifelineError;
}

export interface OutboxEntry {
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

type Kind = OutboxEvent['kind'];

/**
 * Publishes not yet acknowledged: `queue` (not sent on the current connection) and
 * `inFlight` (sent, waiting for an ack) are kept apart. Both count towards the bounds.
 */
export interface Outbox {
  readonly queue: OutboxEntry[];
  readonly inFlight: Map<number, OutboxEntry>;
  readonly size: number;
  readonly bytes: number;
  /** Queues `e` or applies the overflow policy. Returns false when `e` was refused. */
  add(e: OutboxEntry): boolean;
  /** Marks the head of the queue as sent with `ref`. */
  sent(e: OutboxEntry, ref: number): void;
  /** Removes and returns the in-flight entry answered by `ref`. */
  settle(ref: number): OutboxEntry | undefined;
  /** Puts an in-flight entry back in the queue, keeping publish order. */
  requeue(e: OutboxEntry): void;
  /** The connection is gone: everything in flight is queued again (same ids). */
  requeueAll(): void;
  /** Rejects queued entries whose TTL elapsed. In-flight entries are past TTL's reach. */
  expire(now: number): void;
  /** Rejects everything (client closed). */
  failAll(error: LifelineError): void;
  /** Drops `e` (queued or in flight) and reports it. */
  remove(e: OutboxEntry, kind: Kind, error: LifelineError): void;
}

export function createOutbox(
  o: typeof DEFAULT_OUTBOX,
  settled: (kind: Kind, entry: OutboxEntry, error: LifelineError) => void,
): Outbox {
  let queue: OutboxEntry[] = [];
  const inFlight = new Map<number, OutboxEntry>();
  let bytes = 0;
  const size = () => queue.length + inFlight.size;
  const err = (code: 'OUTBOX_FULL' | 'OUTBOX_DROPPED' | 'OUTBOX_EXPIRED', e: OutboxEntry) =>
    new LifelineError(code, `publish ${e.id}: ${code}`, { channel: e.channel });

  const requeue = (e: OutboxEntry) => {
    inFlight.delete(e.ref);
    e.ref = 0;
    let i = queue.length;
    while (i > 0 && queue[i - 1]!.seq > e.seq) i--;
    queue.splice(i, 0, e);
  };
  const remove = (e: OutboxEntry, kind: Kind, error: LifelineError) => {
    const i = queue.indexOf(e);
    if (i >= 0) queue.splice(i, 1);
    else if (!inFlight.delete(e.ref)) return;
    bytes -= e.bytes;
    settled(kind, e, error);
  };

  return {
    get queue() {
      return queue;
    },
    inFlight,
    get size() {
      return size();
    },
    get bytes() {
      return bytes;
    },
    add(e) {
      const fits = () => size() < o.maxMessages && bytes + e.bytes <= o.maxBytes;
      if (o.overflow === 'drop-oldest') {
        while (!fits() && queue.length) remove(queue[0]!, 'dropped', err('OUTBOX_DROPPED', queue[0]!));
      }
      if (!fits()) {
        const drop = o.overflow === 'drop-newest';
        settled(drop ? 'dropped' : 'rejected', e, err(drop ? 'OUTBOX_DROPPED' : 'OUTBOX_FULL', e));
        return false;
      }
      queue.push(e);
      bytes += e.bytes;
      return true;
    },
    sent(e, ref) {
      queue.shift();
      e.ref = ref;
      inFlight.set(ref, e);
    },
    settle(ref) {
      const e = inFlight.get(ref);
      if (e) {
        inFlight.delete(ref);
        bytes -= e.bytes;
      }
      return e;
    },
    requeue,
    requeueAll() {
      for (const e of [...inFlight.values()].sort((a, b) => b.seq - a.seq)) requeue(e);
    },
    expire(now) {
      for (const e of queue.filter((q) => q.expiresAt <= now)) remove(e, 'expired', err('OUTBOX_EXPIRED', e));
    },
    failAll(error) {
      for (const e of [...inFlight.values(), ...queue]) e.reject(error);
      queue = [];
      inFlight.clear();
      bytes = 0;
    },
    remove,
  };
}
