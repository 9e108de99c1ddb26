// The scenario shared by drainPresence.test.ts (two servers on one memory broker) and
// redisDrainPresence.test.ts (two nodes over Redis): node A is drained while four members
// are present on it; three come back on node B within their window, one never does.
import { expect } from 'vitest';
import type { LifelineServer } from '../../src/createServer';
import type { FakeClock } from './fakeClock';
import { waitFor } from './waitFor';
import { TestClient, type Frame } from './wsClient';

export const GRACE_MS = 5000;

export interface DrainPresenceNodes {
  /** Node A, whose presence grace runs on `clock`. */
  a: LifelineServer;
  b: LifelineServer;
  clock: FakeClock;
  /** Registers a teardown step (the caller runs them after the test). */
  cleanup(step: () => Promise<unknown> | void): void;
}

const events = (c: TestClient): string[] => c.frames.filter((f: Frame) => f.type === 'presence').map((f) => `${f.event}:${f.member.clientId}`);

/**
 * Drains A; asserts the watcher on B sees no leave or join of the members that moved,
 * the leave of the one that did not come back, and that the drain lasted (on A's clock)
 * the grace plus the reconnect window it gave.
 */
export async function drainWithPresence({ a, b, clock, cleanup }: DrainPresenceNodes, channel: string): Promise<void> {
  const member = async (url: string, clientId: string): Promise<TestClient> => {
    const c = await TestClient.connect(url, { clientId });
    cleanup(() => c.close());
    expect(await c.request({ type: 'presence.enter', channel })).toMatchObject({ type: 'presence.ok' });
    return c;
  };
  const watcher = await TestClient.connect(b.url, { clientId: 'watcher' });
  cleanup(() => watcher.close());
  await watcher.subscribe(channel);
  const movers = await Promise.all(['m1', 'm2', 'm3'].map((id) => member(a.url, id)));
  await member(a.url, 'gone');
  await waitFor(() => events(watcher).length === 4, 'the four joins on node B');
  const joinsBefore = events(watcher);

  let drained = false;
  const draining = a.drain({ timeoutMs: 60_000 }).then(() => (drained = true));
  const drainFrames = await Promise.all(movers.map((m) => m.next('drain')));
  const windowMs = Math.max(...drainFrames.map((f) => f.reconnectWindowMs as number));
  // The movers come back on node B (as a load balancer would send them) and enter again.
  for (const [i, id] of ['m1', 'm2', 'm3'].entries()) {
    await movers[i]!.waitClosed();
    await member(b.url, id);
  }
  await waitFor(() => a.stats().connections === 0, 'node A emptied');
  // Node A's removals run on its (fake) clock: step it until the drain ends.
  let elapsed = 0;
  while (!drained && elapsed < 60_000) {
    clock.advance(100);
    elapsed += 100;
    await new Promise((r) => setTimeout(r, 2));
  }
  await draining;
  // The drain waited out the grace and the window it gave, on the server's clock.
  expect(elapsed).toBeGreaterThanOrEqual(GRACE_MS + windowMs - 100);
  await waitFor(() => events(watcher).length > 4, 'the leave of the member that did not come back');
  // A wrongly sent leave of a mover would come from the same removals: they have all run.
  expect(events(watcher)).toEqual([...joinsBefore, 'leave:gone']);
  const fresh = await TestClient.connect(b.url);
  cleanup(() => fresh.close());
  const list = (await fresh.subscribe(channel)).presence as { clientId: string }[];
  expect(list.map((m) => m.clientId).sort()).toEqual(['m1', 'm2', 'm3']);
}
