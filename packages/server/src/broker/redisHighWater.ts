/** The highest offset seen of a channel in each of its last epochs, as of one moment (a copy). */
export type Seen = ReadonlyMap<string, number>;

/** Epochs remembered per channel (as many as a live feed remembers, redisLiveFeed.ts). */
export const MAX_MARK_EPOCHS = 8;

/**
 * What this node has seen of each channel: the highest offset in each of the channel's
 * last {@link MAX_MARK_EPOCHS} epochs, from publish results, read heads and live
 * notifications. Offsets of one epoch only grow, so a publish or a read that *left after*
 * an offset was seen and answers that epoch below it proves that Redis lost acknowledged
 * writes (the caller then rotates the epoch). Several epochs, not only the last one: Redis
 * failing back to an older epoch (A lost writes and was rotated to B, then a replica or a
 * restore brings A back with a lower counter) answers in A, and only A's own mark shows
 * the step back. Only marks recorded before a command was sent are compared with its
 * answer (callers take a {@link HighWaterMarks.before} copy), never ones recorded while
 * it was in flight: answers arriving on another connection, or re-sent after a NOSCRIPT,
 * may come in any order, but a command sent after an answer arrived ran after it.
 *
 * Bounded: at most `maxChannels` channels (default 10 000) × {@link MAX_MARK_EPOCHS}
 * epochs; the least recently seen channel, and within a channel the least recently seen
 * epoch, is forgotten (only its detection is lost).
 *
 * Not the live feed's per-epoch `notified` map (redisLiveFeed.ts), though notifications
 * are recorded here too: a mark mixes acks and read heads, which can arrive on the command
 * connection ahead of the notifications of the same offsets, so a notification checked
 * against a mark would look like a step back on every node that publishes or catches up,
 * and rotate epochs for nothing. `notified` lives and dies with a channel's feed; marks
 * cover channels this node publishes to or reads without a feed.
 */
export class HighWaterMarks {
  /** Per channel (least recently seen first): epoch → highest offset (least recently seen epoch first). */
  private readonly marks = new Map<string, Map<string, number>>();

  constructor(private readonly maxChannels = 10_000) {}

  /** A copy of the channel's marks now, to compare a command's answer with once it arrives. */
  before(channel: string): Seen | undefined {
    const m = this.marks.get(channel);
    return m && new Map(m);
  }

  observe(channel: string, epoch: string, offset: number): void {
    let m = this.marks.get(channel);
    this.marks.delete(channel);
    if (!m) m = new Map();
    this.marks.set(channel, m);
    if (this.marks.size > this.maxChannels) this.marks.delete(this.marks.keys().next().value as string);
    const high = m.get(epoch);
    m.delete(epoch);
    m.set(epoch, high === undefined ? offset : Math.max(high, offset));
    if (m.size > MAX_MARK_EPOCHS) m.delete(m.keys().next().value as string);
  }

  /**
   * The offset `before` held in `epoch` when `answer` (a command sent after `before` was
   * taken) went below it (`strictlyAbove`: at or below it), else `undefined`.
   */
  static wentBack(before: Seen | undefined, epoch: string, offset: number, strictlyAbove: boolean): number | undefined {
    const seen = before?.get(epoch);
    if (seen === undefined) return undefined;
    return (strictlyAbove ? offset <= seen : offset < seen) ? seen : undefined;
  }
}
