import type { Clock } from './clock';

/**
 * Token bucket: `ratePerSec` tokens refill continuously up to `burst`. `take()`
 * answers 0 when a token was taken, else the ms until one will be available.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerSec: number,
    private readonly burst: number,
    private readonly clock: Clock,
  ) {
    this.tokens = burst;
    this.last = clock.now();
  }

  /** Takes one token; returns 0 on success or the wait in ms before a retry can succeed. */
  take(): number {
    if (this.ratePerSec === Infinity) return 0;
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    if (this.ratePerSec <= 0) return Infinity;
    return Math.max(1, Math.ceil(((1 - this.tokens) / this.ratePerSec) * 1000));
  }

  /** Whether the bucket holds its whole burst again: it then behaves exactly like a new one. */
  isFull(): boolean {
    if (this.ratePerSec === Infinity) return true;
    this.refill();
    return this.tokens >= this.burst;
  }

  private refill(): void {
    const now = this.clock.now();
    const elapsed = Math.max(0, now - this.last);
    this.last = now;
    this.tokens = Math.min(this.burst, this.tokens + (elapsed / 1000) * this.ratePerSec);
  }
}

/** Callers {@link KeyedBuckets} keeps a bucket for at most, by default. */
export const MAX_BUCKET_KEYS = 10_000;

/**
 * One {@link TokenBucket} per key (a token subject, a remote address), without growing
 * with every key ever seen. A bucket that is full again is the same as a fresh one, so it
 * is dropped: buckets are kept least recently used first, and each `take()` drops those
 * at the front that are full, stopping at the first that is not (O(1) amortized). What
 * remains are the keys used within the last `burst ÷ rate` seconds (the time an emptied
 * bucket takes to fill), at most `maxKeys`: beyond that the least recently used key is
 * dropped even if not full, and starts over with a full burst when it comes back.
 */
export class KeyedBuckets {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly ratePerSec: number,
    private readonly burst: number,
    private readonly clock: Clock,
    private readonly maxKeys = MAX_BUCKET_KEYS,
  ) {}

  /** Takes one token from `key`'s bucket: 0 on success, else the ms before a retry can succeed. */
  take(key: string): number {
    if (this.ratePerSec === Infinity) return 0;
    let bucket = this.buckets.get(key);
    if (bucket) this.buckets.delete(key); // re-inserted last: the Map is in order of last use
    else bucket = new TokenBucket(this.ratePerSec, this.burst, this.clock);
    this.buckets.set(key, bucket);
    const wait = bucket.take();
    for (const [k, b] of this.buckets) {
      if (this.buckets.size <= this.maxKeys && !b.isFull()) break;
      this.buckets.delete(k);
    }
    return wait;
  }

  /** Keys holding a bucket now. */
  get size(): number {
    return this.buckets.size;
  }
}

/**
 * Counts events in a sliding window and says when `limit` of them happened within
 * `windowMs`. Keeps the last `limit` timestamps in a ring: O(1) per event.
 */
export class WindowCounter {
  private readonly ring: number[] = [];
  private next = 0;

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly clock: Clock,
  ) {}

  /** Records one event; `true` when the limit was reached inside the window. */
  hit(): boolean {
    const now = this.clock.now();
    if (this.ring.length < this.limit) {
      this.ring.push(now);
      return this.ring.length === this.limit && now - this.ring[0]! < this.windowMs;
    }
    // Overwrite the oldest; the ring then holds the last `limit` events, oldest at `next`.
    this.ring[this.next] = now;
    this.next = (this.next + 1) % this.limit;
    return now - this.ring[this.next]! < this.windowMs;
  }
}
