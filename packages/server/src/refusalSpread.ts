import type { Clock } from './clock';
import { TokenBucket } from './tokenBucket';

/** Memory of the refusal count, ms: refusals older than about this no longer lengthen the hint. */
export const REFUSAL_MEMORY_MS = 1000;

/**
 * Admission bucket whose refusal hint covers the crowd, not just the next token.
 *
 * A plain bucket answers "one token in 1 ÷ rate" (2 ms at 500/s), so every refused
 * client came back within milliseconds and refused clients hammered the bucket until
 * it had served them all: in a 10,000-client drain a few hundred late clients turned
 * into 3,000+ refusals and 2 s at 4–6 × capacity (storm, `drain`, C = 500/s).
 * Here the hint is at least the time the bucket needs to admit everyone refused in
 * about the last second (an exponentially decayed count ÷ rate), so the refused
 * come back spread behind one another (clients add up to 50 % jitter on top).
 */
export class SpreadingBucket extends TokenBucket {
  private refusedRecently = 0;
  private lastRefusalAt = 0;

  constructor(
    private readonly rate: number,
    burst: number,
    private readonly time: Clock,
  ) {
    super(rate, burst, time);
  }

  override take(): number {
    const wait = super.take();
    if (wait === 0 || !Number.isFinite(wait)) return wait;
    const now = this.time.now();
    this.refusedRecently = this.refusedRecently * Math.exp(-Math.max(0, now - this.lastRefusalAt) / REFUSAL_MEMORY_MS) + 1;
    this.lastRefusalAt = now;
    return Math.max(wait, Math.ceil((this.refusedRecently / this.rate) * 1000));
  }
}
