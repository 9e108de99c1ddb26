// PresenceGrace for a drained connection (presenceHoldMs > 0): how long its entries are
// held, and that a removal never overtakes the re-store that extends the held entry's TTL
// (else the late re-store would put back an entry already removed: a ghost member).
import { describe, expect, it } from 'vitest';
import type { Broker } from '../src/broker/types';
import { MAX_TIMER_MS } from '../src/clock';
import { DRAIN_GRACE_CAP_MS, PresenceGrace } from '../src/presenceGrace';
import { FakeClock } from './helpers/fakeClock';

function recordingBroker(): { broker: Broker; removed: string[] } {
  const removed: string[] = [];
  const broker = { presenceRemove: async (_channel: string, clientId: string) => void removed.push(clientId) } as unknown as Broker;
  return { broker, removed };
}

describe('PresenceGrace: drained connections', () => {
  it('holds a drained entry its window + the grace, the grace part capped at 30 s; an unbounded grace stays unbounded', () => {
    const { broker } = recordingBroker();
    const clock = new FakeClock();
    expect(new PresenceGrace(broker, clock, 5000).delayMs(0)).toBe(5000);
    expect(new PresenceGrace(broker, clock, 5000).delayMs(60_000)).toBe(65_000);
    expect(new PresenceGrace(broker, clock, 600_000).delayMs(0)).toBe(600_000);
    expect(new PresenceGrace(broker, clock, 600_000).delayMs(60_000)).toBe(60_000 + DRAIN_GRACE_CAP_MS);
    expect(new PresenceGrace(broker, clock, MAX_TIMER_MS).delayMs(60_000)).toBeGreaterThanOrEqual(MAX_TIMER_MS);
  });

  it('a removal (on its timer or flushed) waits for the entry being stored again first', async () => {
    const { broker, removed } = recordingBroker();
    const clock = new FakeClock();
    const grace = new PresenceGrace(broker, clock, 5000);
    let stored!: () => void;
    const before = new Promise<void>((resolve) => (stored = resolve));
    grace.schedule('room', 'ada', 'c1', 1000, before);
    void grace.flushAll();
    await new Promise((r) => setTimeout(r, 10));
    expect(removed).toEqual([]);
    stored();
    await grace.whenIdle();
    expect(removed).toEqual(['ada']);
  });
});
