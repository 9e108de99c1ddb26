/** The highest offset seen of a channel, in one epoch. */
export interface Mark {
  readonly epoch: string;
  readonly offset: number;
}

/**
 * What this node has seen of each channel: the highest offset of the epoch it saw last,
 * from publish results, read heads and live notifications. Offsets of one epoch only
 * grow, so a publish or a read that *left after* an offset was seen and answers the
 * same epoch below it proves that Redis lost acknowledged writes (the caller then
 * rotates the epoch). Only marks recorded before a command was sent are compared with
 * its answer, never ones recorded while it was in flight: answers arriving on another
 * connection, or re-sent after a NOSCRIPT, may come in any order, but a command sent
 * after an answer arrived ran after it.
 *
 * Bounded: the least recently seen channels are forgotten (only their detection is lost).
 *
 * Not the live feed's per-epoch `notified` map (redisLiveFeed.ts), though notifications
 * are recorded here too: a mark mixes acks and read heads, which can arrive on the command
 * connection ahead of the notifications of the same offsets, so a notification checked
 * against a mark would look like a step back on every node that publishes or catches up,
 * and rotate epochs for nothing. A mark is also one epoch per channel; `notified` keeps
 * several per subscribed channel, for as long as the channel is subscribed.
 */
export class HighWaterMarks {
  private readonly marks = new Map<string, Mark>();

  constructor(private readonly max = 10_000) {}

  get(channel: string): Mark | undefined {
    return this.marks.get(channel);
  }

  observe(channel: string, epoch: string, offset: number): void {
    const m = this.marks.get(channel);
    this.marks.delete(channel);
    this.marks.set(channel, m && m.epoch === epoch ? { epoch, offset: Math.max(m.offset, offset) } : { epoch, offset });
    if (this.marks.size > this.max) this.marks.delete(this.marks.keys().next().value as string);
  }

  /** `true` when `answer` (sent after `before` was recorded) went below it in the same epoch. */
  static wentBack(before: Mark | undefined, epoch: string, offset: number, strictlyAbove: boolean): boolean {
    if (!before || before.epoch !== epoch) return false;
    return strictlyAbove ? offset <= before.offset : offset < before.offset;
  }
}
