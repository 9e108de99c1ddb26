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

type Settled = (kind: OutboxEvent['kind'], entry: OutboxEntry, error: LifelineError) => void;

/**
 * Publishes not yet acknowledged: `queue` (not sent on the current connection) and
 * `inFlight` (sent, waiting for an ack) are kept apart. Both count towards the bounds.
 */
export class Outbox {
  queue: OutboxEntry[] = [];
  readonly inFlight = new Map<number, OutboxEntry>();
  bytes = 0;

  constructor(
    private readonly o: typeof DEFAULT_OUTBOX,
    private readonly settled: Settled,
  ) {}

  get size(): number {
    return this.queue.length + this.inFlight.size;
  }

  /** Queues `e` or applies the overflow policy. Returns false when `e` was refused. */
  add(e: OutboxEntry): boolean {
    const fits = () => this.size < this.o.maxMessages && this.bytes + e.bytes <= this.o.maxBytes;
    if (this.o.overflow === 'drop-oldest') {
      while (!fits() && this.queue.length) {
        this.remove(this.queue[0]!, 'dropped', err('OUTBOX_DROPPED', 'dropped by drop-oldest', this.queue[0]!));
      }
    }
    if (!fits()) {
      const dropped = this.o.overflow === 'drop-newest';
      const why = `outbox full (${this.size} messages, ${this.bytes} bytes)`;
      this.settled(dropped ? 'dropped' : 'rejected', e, err(dropped ? 'OUTBOX_DROPPED' : 'OUTBOX_FULL', why, e));
      return false;
    }
    this.queue.push(e);
    this.bytes += e.bytes;
    return true;
  }

  /** Marks the head of the queue as sent with `ref`. */
  sent(e: OutboxEntry, ref: number): void {
    this.queue.shift();
    e.ref = ref;
    this.inFlight.set(ref, e);
  }

  /** Removes and returns the in-flight entry answered by `ref`. */
  settle(ref: number): OutboxEntry | undefined {
    const e = this.inFlight.get(ref);
    if (e) {
      this.inFlight.delete(ref);
      this.bytes -= e.bytes;
    }
    return e;
  }

  /** Puts an in-flight entry back in the queue, keeping publish order. */
  requeue(e: OutboxEntry): void {
    this.inFlight.delete(e.ref);
    e.ref = 0;
    let i = this.queue.length;
    while (i > 0 && this.queue[i - 1]!.seq > e.seq) i--;
    this.queue.splice(i, 0, e);
  }

  /** The connection is gone: everything in flight is queued again (same ids). */
  requeueAll(): void {
    for (const e of [...this.inFlight.values()].sort((a, b) => b.seq - a.seq)) this.requeue(e);
  }

  /** Rejects queued entries whose TTL elapsed. In-flight entries are past TTL's reach. */
  expire(now: number): void {
    for (const e of this.queue.filter((q) => q.expiresAt <= now)) {
      this.remove(e, 'expired', err('OUTBOX_EXPIRED', 'ttl elapsed while queued', e));
    }
  }

  /** Rejects everything (client closed). */
  failAll(error: LifelineError): void {
    for (const e of [...this.inFlight.values(), ...this.queue]) {
      this.bytes -= e.bytes;
      e.reject(error);
    }
    this.queue = [];
    this.inFlight.clear();
  }

  /** Drops `e` (queued or in flight) and reports it. */
  remove(e: OutboxEntry, kind: OutboxEvent['kind'], error: LifelineError): void {
    const i = this.queue.indexOf(e);
    if (i >= 0) this.queue.splice(i, 1);
    else if (!this.inFlight.delete(e.ref)) return;
    this.bytes -= e.bytes;
    this.settled(kind, e, error);
  }
}

function err(code: 'OUTBOX_FULL' | 'OUTBOX_DROPPED' | 'OUTBOX_EXPIRED', msg: string, e: OutboxEntry): LifelineError {
  return new LifelineError(code, `publish ${e.id} on ${e.channel}: ${msg}`, { channel: e.channel });
}
