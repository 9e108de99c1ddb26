import type { Broker } from '../../src/broker/types';

export interface GatedReads {
  broker: Broker;
  /** Every log read so far, in call order. */
  readonly reads: { after: number; limit: number }[];
  /** Makes the `n`th read (1-based, counted from the start) wait until {@link release}. */
  holdRead(n: number): void;
  /** The read held now, if one is waiting. */
  held(): { n: number; after: number } | undefined;
  /** Lets the held read go on; `fail` makes it throw instead of reading. */
  release(fail?: Error): void;
}

/**
 * Wraps `inner` so the test sees each log read and can hold chosen ones: a replay then
 * stops between two pages for as long as the test wants, deterministically (where a
 * socket the client does not read stops it only once the kernel's buffers are full).
 */
export function gatedReads(inner: Broker): GatedReads {
  const reads: { after: number; limit: number }[] = [];
  const holds = new Set<number>();
  let waiting: { n: number; after: number; go: (fail?: Error) => void } | undefined;
  const broker: Broker = {
    ...inner,
    async read(channel, after, limit) {
      reads.push({ after, limit });
      const n = reads.length;
      if (holds.delete(n)) {
        const fail = await new Promise<Error | undefined>((go) => (waiting = { n, after, go }));
        if (fail) throw fail;
      }
      return inner.read(channel, after, limit);
    },
  };
  return {
    broker,
    reads,
    holdRead: (n) => void holds.add(n),
    held: () => (waiting ? { n: waiting.n, after: waiting.after } : undefined),
    release(fail) {
      const w = waiting;
      waiting = undefined;
      w?.go(fail);
    },
  };
}
