// The per-connection limit on `sub` frames (PROTOCOL.md §11).
import { SlottedBucket } from '../slottedBucket';
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

// Kept beside the session rather than on it: one per connection, dropped with the session.
const buckets = new WeakMap<Session, SlottedBucket>();

/**
 * Takes one `sub` token for `s`: 0 when allowed, else the ms to tell the client to wait
 * (its `retryAfterMs`): a slot of its own (SlottedBucket), so refused channels that come
 * back on their hints arrive spaced at the refill rate and each finds a token; at most the
 * time the bucket takes to fill (`subscribeBurst ÷ SUBSCRIBE_PER_SEC`, 10 s for
 * maxChannels 100): only a client that ignores its hints piles up more refusals than that.
 */
export function takeSubscribe(s: Session): number {
  let bucket = buckets.get(s);
  if (!bucket) buckets.set(s, (bucket = new SlottedBucket(SUBSCRIBE_PER_SEC, subscribeBurst(s.ctx.opts.maxChannels), s.ctx.opts.clock)));
  return bucket.take();
}
