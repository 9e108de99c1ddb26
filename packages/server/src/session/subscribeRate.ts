// The per-connection limit on `sub` frames (PROTOCOL.md §11).
import { TokenBucket } from '../tokenBucket';
import type { Session } from './session';

/**
 * `sub` frames per second a connection gets once its burst is spent. Each costs a live
 * feed attach (a Redis SUBSCRIBE on a channel new to the node), a log read and a presence
 * read; unlimited, one socket cycling sub/unsub ran 4,000 cycles a second (about 95,000
 * Redis commands). A paged catch-up (`limit`, §5) sends one `sub` per page: 20 pages a
 * second per connection is still far above what a reader of those pages needs.
 */
export const SUBSCRIBE_PER_SEC = 20;

/**
 * The burst: every channel a connection may hold, twice, and never below 64. A reconnect
 * subscribes again to every channel at once (up to `maxChannels`), and may repeat a few
 * straight after (a refused one, a paged catch-up's next page): it is never refused.
 */
export const subscribeBurst = (maxChannels: number): number => Math.max(64, 2 * maxChannels);

/**
 * A connection's bucket, and the slot its next refused `sub` is told to come back at.
 * Every refusal gets a slot of its own, `1000 / SUBSCRIBE_PER_SEC` ms after the one before:
 * told the time to the next token, n refused channels all came back at that instant, one
 * won and n - 1 were refused again, round after round, until a client that did only what
 * it was told reached the refusal limit and was closed 4201 as a "subscribe flood".
 */
interface SubscribeLimit {
  bucket: TokenBucket;
  nextSlot: number;
  /** The latest slot handed out is at most this far ahead: the time an empty bucket takes to fill. */
  maxWaitMs: number;
}

// Kept beside the session rather than on it (session.ts is not this module's): one per
// connection, dropped with the session.
const limits = new WeakMap<Session, SubscribeLimit>();

/**
 * Takes one `sub` token for `s`: 0 when allowed, else the ms to tell the client to wait
 * (its `retryAfterMs`): its own slot, so refused channels that come back on their hints
 * arrive spaced at the refill rate and each finds a token. A slot is a hint, not a
 * reservation: a `sub` is allowed whenever the bucket holds a token. At most the time
 * the bucket takes to fill (`subscribeBurst ÷ SUBSCRIBE_PER_SEC`, 10 s for maxChannels
 * 100): only a client that ignores its hints piles up more refusals than that holds.
 */
export function takeSubscribe(s: Session): number {
  const { clock } = s.ctx.opts;
  let limit = limits.get(s);
  if (!limit) {
    const burst = subscribeBurst(s.ctx.opts.maxChannels);
    limit = { bucket: new TokenBucket(SUBSCRIBE_PER_SEC, burst, clock), nextSlot: 0, maxWaitMs: Math.ceil((burst * 1000) / SUBSCRIBE_PER_SEC) };
    limits.set(s, limit);
  }
  const wait = limit.bucket.take();
  if (wait === 0) return 0;
  const now = clock.now();
  limit.nextSlot = Math.min(Math.max(now + wait, limit.nextSlot + 1000 / SUBSCRIBE_PER_SEC), now + limit.maxWaitMs);
  return Math.ceil(limit.nextSlot - now);
}
