import type { MemoryBroker } from '../../src/broker/memoryBroker';

/**
 * `inner` with each call made a few ms later (real time, 0-`maxMs`, drawn from `random`):
 * a memory broker answers within a microtask, so a subscribe's replay, a publish and a
 * presence change never overlap, and the seams between them are never exercised.
 * Each call still runs atomically on `inner`; only its start moves.
 */
export function slowBroker(inner: MemoryBroker, random: () => number, maxMs = 3): MemoryBroker & { inFlight(): number } {
  let inFlight = 0;
  const later = <T>(run: () => Promise<T>): Promise<T> => {
    inFlight++;
    return new Promise<void>((r) => {
      const ms = Math.floor(random() * (maxMs + 1));
      if (ms === 0) setImmediate(r);
      else setTimeout(r, ms);
    })
      .then(run)
      .finally(() => inFlight--);
  };
  return {
    ...inner,
    /** Calls delayed or running: 0 once the server has nothing left with the broker. */
    inFlight: () => inFlight,
    publish: (...a) => later(() => inner.publish(...a)),
    read: (...a) => later(() => inner.read(...a)),
    position: (...a) => later(() => inner.position(...a)),
    presenceSet: (...a) => later(() => inner.presenceSet(...a)),
    presenceRemove: (...a) => later(() => inner.presenceRemove(...a)),
    presenceList: (...a) => later(() => inner.presenceList(...a)),
    presenceRefresh: (...a) => later(() => inner.presenceRefresh(...a)),
    onMessage: (...a) => later(() => inner.onMessage(...a)),
    onPresence: (...a) => later(() => inner.onPresence(...a)),
  };
}
