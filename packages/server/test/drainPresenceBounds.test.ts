// How long a drain holds presence, and what it says when its deadline cuts the hold. Two
// servers on one passed-in memory broker (a shared broker: the drain waits for its
// presence removals); server A's grace runs on a fake clock.
// - A long grace (10 min) with no drain deadline used to hold the drain grace + window
//   (it used to end once the clients were gone): the grace part of a drain's hold is now
//   capped at DRAIN_GRACE_CAP_MS (30 s) on top of the window.
// - A drain timeout shorter than the hold flushes every pending removal at the deadline
//   (members still moving leave and join again): the server says so when the drain starts.
import { afterEach, describe, expect, it } from 'vitest';
import { memoryBroker } from '../src/broker/memoryBroker';
import { createServer, type Logger } from '../src';
import { DRAIN_GRACE_CAP_MS } from '../src/presenceGrace';
import { FakeClock } from './helpers/fakeClock';
import { waitFor } from './helpers/waitFor';
import { TestClient, type Frame } from './helpers/wsClient';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const noop = (): void => undefined;
const events = (c: TestClient): string[] => c.frames.filter((f: Frame) => f.type === 'presence').map((f) => `${f.event}:${f.member.clientId}`);

/** Servers A (fake clock, logging warnings to `warnings`) and B on one memory broker; a member on A watched from B. */
async function setup(presenceGraceMs: number): Promise<{ a: Awaited<ReturnType<typeof createServer>>; clock: FakeClock; member: TestClient; watcher: TestClient; warnings: string[] }> {
  const broker = memoryBroker();
  const clock = new FakeClock();
  const warnings: string[] = [];
  const logger: Logger = { debug: noop, info: noop, error: noop, warn: (m: string) => void warnings.push(m) };
  const a = await createServer({ port: 0, broker, presenceGraceMs, clock, logger });
  const b = await createServer({ port: 0, broker, presenceGraceMs });
  cleanups.push(() => broker.close(), () => b.close(), () => a.close());
  const watcher = await TestClient.connect(b.url, { clientId: 'watcher' });
  cleanups.push(() => watcher.close());
  await watcher.subscribe('room');
  const member = await TestClient.connect(a.url, { clientId: 'ada' });
  cleanups.push(() => member.close());
  await member.request({ type: 'presence.enter', channel: 'room' });
  await waitFor(() => events(watcher).length === 1, 'the join on B');
  return { a, clock, member, watcher, warnings };
}

describe('how long a drain holds presence', () => {
  it('with a 10 min grace and no deadline, the drain ends after the window + 30 s (not 10 min); a member not back leaves then', async () => {
    const { a, clock, member, watcher, warnings } = await setup(600_000);
    let drained = false;
    const draining = a.drain({ timeoutMs: Infinity }).then(() => (drained = true));
    const windowMs = (await member.next('drain')).reconnectWindowMs as number;
    await member.waitClosed();
    await waitFor(() => a.stats().connections === 0, 'A emptied');
    let elapsed = 0;
    while (!drained && elapsed < 700_000) {
      clock.advance(500);
      elapsed += 500;
      await new Promise((r) => setTimeout(r, 2));
    }
    await draining;
    expect(elapsed).toBeGreaterThanOrEqual(windowMs + DRAIN_GRACE_CAP_MS - 500);
    expect(elapsed).toBeLessThanOrEqual(windowMs + DRAIN_GRACE_CAP_MS + 1000);
    await waitFor(() => events(watcher).length === 2, 'the leave on B');
    expect(events(watcher)).toEqual(['join:ada', 'leave:ada']);
    // No deadline: nothing cut the hold, nothing to warn about.
    expect(warnings.filter((w) => w.includes('presence'))).toEqual([]);
  });

  it('a drain timeout shorter than the hold is logged when the drain starts (members still moving then leave and join again)', async () => {
    const { a, member, watcher, warnings } = await setup(5000);
    const draining = a.drain({ timeoutMs: 300 });
    const windowMs = (await member.next('drain')).reconnectWindowMs as number;
    await draining;
    const hold = warnings.filter((w) => w.includes('presence'));
    expect(hold).toHaveLength(1);
    expect(hold[0]).toContain(`presence of 1 connection(s) is held ${windowMs + 5000} ms`);
    expect(hold[0]).toContain('past the drain timeout of 300 ms');
    // The deadline flushed the removal (the real clock, not the fake one, ran out).
    await waitFor(() => events(watcher).length === 2, 'the leave on B');
  });

  it('a drain timeout that covers the hold says nothing about presence', async () => {
    const { a, clock, warnings } = await setup(5000);
    let drained = false;
    const draining = a.drain({ timeoutMs: 60_000 }).then(() => (drained = true));
    await waitFor(() => a.stats().connections === 0, 'A emptied');
    for (let i = 0; i < 200 && !drained; i++) {
      clock.advance(100);
      await new Promise((r) => setTimeout(r, 2));
    }
    await draining;
    expect(warnings.filter((w) => w.includes('presence'))).toEqual([]);
  });
});
