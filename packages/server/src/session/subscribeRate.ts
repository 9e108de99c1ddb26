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

// Kept beside the session rather than on it (session.ts is not this module's): one bucket
// per connection, dropped with the session.
const buckets = new WeakMap<Session, TokenBucket>();

/** Takes one `sub` token for `s`: 0 when allowed, else the ms before one will be. */
export function takeSubscribe(s: Session): number {
  let bucket = buckets.get(s);
  if (!bucket) {
    const { maxChannels, clock } = s.ctx.opts;
    bucket = new TokenBucket(SUBSCRIBE_PER_SEC, subscribeBurst(maxChannels), clock);
    buckets.set(s, bucket);
  }
  return bucket.take();
}
