import type { Position } from '@lifeline/core/protocol';

/** One acknowledged publish: the publisher's sequence number and where the log put it. */
export interface PublishedRecord {
  seq: number;
  epoch: string;
  offset: number;
}

/** One message as a client's handler saw it. */
export interface DeliveredRecord {
  seq: number;
}

/** A gap the client announced explicitly (core's `gap` event). */
export interface GapRecord {
  from: Position | null;
  to: Position;
}

export interface DeliveryCounts {
  /** Messages this client should have seen (every ack on the channel). */
  expected: number;
  /** Handler calls. */
  delivered: number;
  /**
   * Expected, never delivered, not covered by an announced gap, and not excused by the
   * client being offline at the end (see `undelivered`): a subscriber that is connected
   * missed it, or a client not back has a hole inside what it did receive.
   */
  lost: number;
  /** Handler calls beyond the first for the same message. */
  duplicated: number;
  /** First deliveries that came after a message published later. */
  reordered: number;
  /** Gap events announced. */
  gaps: number;
  /** Expected messages not delivered but covered by an announced gap (explicit, not silent). */
  gapped: number;
  /** Deliveries of messages nobody acknowledged (should be 0). */
  unexpected: number;
  /** Clients not connected and subscribed when the run ended (per client: 0 or 1). */
  unrecovered: number;
  /**
   * Messages published after the last one a client not back delivered, not covered by
   * a gap: it was offline (gave up, or still backing off), so they are not a delivery
   * failure of a connected subscriber and are kept out of `lost`.
   */
  undelivered: number;
}

export interface DeliveryOptions {
  /** Whether the client was connected and subscribed at the end of the run. @default true */
  recovered?: boolean;
}

export const ZERO_COUNTS: DeliveryCounts = Object.freeze({
  expected: 0, delivered: 0, lost: 0, duplicated: 0, reordered: 0, gaps: 0, gapped: 0, unexpected: 0, unrecovered: 0, undelivered: 0,
});

export function addCounts(a: DeliveryCounts, b: DeliveryCounts): DeliveryCounts {
  return {
    expected: a.expected + b.expected,
    delivered: a.delivered + b.delivered,
    lost: a.lost + b.lost,
    duplicated: a.duplicated + b.duplicated,
    reordered: a.reordered + b.reordered,
    gaps: a.gaps + b.gaps,
    gapped: a.gapped + b.gapped,
    unexpected: a.unexpected + b.unexpected,
    unrecovered: a.unrecovered + b.unrecovered,
    undelivered: a.undelivered + b.undelivered,
  };
}

/**
 * Compares what one client delivered on one channel with what was published there.
 * `published` is in publish (= offset) order; epochs are ordered by first appearance
 * in it, so a gap that jumps from epoch A to epoch C also covers everything in B.
 *
 * A client that was not back at the end (`recovered: false`) could not receive what was
 * published after its last delivery: those messages are `undelivered`, not `lost`. A
 * hole before that point (it was connected past it) is still `lost`.
 */
export function analyzeDelivery(
  published: readonly PublishedRecord[],
  delivered: readonly DeliveredRecord[],
  gaps: readonly GapRecord[],
  options: DeliveryOptions = {},
): DeliveryCounts {
  const recovered = options.recovered ?? true;
  const order = new Map<number, number>();
  const epochIndex = new Map<string, number>();
  published.forEach((p, i) => {
    order.set(p.seq, i);
    if (!epochIndex.has(p.epoch)) epochIndex.set(p.epoch, epochIndex.size);
  });
  const seen = new Set<number>();
  let duplicated = 0;
  let reordered = 0;
  let unexpected = 0;
  let maxIndex = -1;
  for (const d of delivered) {
    const idx = order.get(d.seq);
    if (idx === undefined) {
      unexpected++;
      continue;
    }
    if (seen.has(d.seq)) {
      duplicated++;
      continue;
    }
    seen.add(d.seq);
    if (idx < maxIndex) reordered++;
    else maxIndex = idx;
  }
  let lost = 0;
  let gapped = 0;
  let undelivered = 0;
  published.forEach((p, idx) => {
    if (seen.has(p.seq)) return;
    if (gaps.some((g) => covers(g, p, epochIndex))) gapped++;
    else if (!recovered && idx > maxIndex) undelivered++;
    else lost++;
  });
  return {
    expected: published.length, delivered: delivered.length, lost, duplicated, reordered, gaps: gaps.length, gapped, unexpected,
    unrecovered: recovered ? 0 : 1, undelivered,
  };
}

/** Whether an announced gap `from → to` spans the message at `p`. */
export function covers(g: GapRecord, p: { epoch: string; offset: number }, epochIndex: ReadonlyMap<string, number>): boolean {
  const pe = epochIndex.get(p.epoch) ?? -1;
  const te = epochIndex.get(g.to.epoch) ?? Infinity;
  const fe = g.from ? (epochIndex.get(g.from.epoch) ?? -1) : -1;
  const afterFrom = !g.from || pe > fe || (pe === fe && p.offset > g.from.offset);
  const beforeTo = pe < te || (pe === te && p.offset <= g.to.offset);
  return afterFrom && beforeTo;
}
