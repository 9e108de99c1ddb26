import type { Broker, ReadResult } from '../../src/broker/types';

/** What a {@link copyingReads} broker has read so far. */
export interface ReadCounts {
  /** Log reads (one per replay page). */
  reads: number;
  /** Messages those reads returned. */
  messages: number;
}

/**
 * Wraps `inner` (a memory broker) so each read returns fresh copies bounded by `maxBytes`, as
 * Redis does: a replay page then really holds its bytes until written, instead of sharing the
 * broker's own objects. `bytesPerMessage` is what each message counts toward `maxBytes`.
 */
export function copyingReads(inner: Broker, bytesPerMessage: number): { broker: Broker; counts: ReadCounts } {
  const counts: ReadCounts = { reads: 0, messages: 0 };
  const broker: Broker = {
    ...inner,
    async read(channel, after, limit, maxBytes): Promise<ReadResult> {
      counts.reads++;
      const r = await inner.read(channel, after, limit, maxBytes);
      const out = [];
      let bytes = 0;
      for (const m of r.messages) {
        if (maxBytes !== undefined && bytes >= maxBytes) break;
        out.push(structuredClone(m));
        bytes += bytesPerMessage;
      }
      counts.messages += out.length;
      return { ...r, messages: out };
    },
  };
  return { broker, counts };
}
