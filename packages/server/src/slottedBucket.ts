import type { Clock } from './clock';
import { TokenBucket } from './tokenBucket';

/**
 * Token bucket whose refusals are each told a slot of their own: the first the time to the
 * next token, each following one `1000 / rate` ms after the one before (never more than
 * the time the bucket takes to fill). Told the same time to the next token, n requests
 * refused together (n channels subscribed or entered at once, past the burst) all came back
 * at that instant, one won and n - 1 were refused again, round after round, until a client
 * that did only what it was told reached the refusal limit and was closed 4201 as a flood.
 * A slot is a hint, not a reservation: `take()` succeeds whenever the bucket holds a token.
 */
export class SlottedBucket extends TokenBucket {
  private nextSlot = 0;

  constructor(
    private readonly perSec: number,
    private readonly size: number,
    private readonly time: Clock,
  ) {
    super(perSec, size, time);
  }

  /**
   * Takes one token: 0, else the ms to tell the refused request. `slotAt` (clock ms) is the
   * slot this very request was told before (a publish re-sent early, publishOp.ts): refused
   * before it, the request keeps it rather than taking a new one behind everyone else's,
   * unless the next token now comes later than that slot.
   */
  override take(slotAt?: number): number {
    const wait = super.take();
    if (wait === 0 || wait === Infinity) return wait;
    const now = this.time.now();
    if (slotAt !== undefined && slotAt > now && now + wait <= slotAt) return Math.ceil(slotAt - now);
    this.nextSlot = Math.min(Math.max(now + wait, this.nextSlot + 1000 / this.perSec), now + (this.size * 1000) / this.perSec);
    return Math.ceil(this.nextSlot - now);
  }
}
