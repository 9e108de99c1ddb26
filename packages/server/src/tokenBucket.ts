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

  private refill(): void {
    const now = this.clock.now();
    const elapsed = Math.max(0, now - this.last);
    this.last = now;
    this.tokens = Math.min(this.burst, this.tokens + (elapsed / 1000) * this.ratePerSec);
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
