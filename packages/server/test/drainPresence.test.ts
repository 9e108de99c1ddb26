// Presence through a graceful drain with two servers on one (passed-in) memory broker, the
// in-process stand-in for two nodes on Redis (redisDrainPresence.test.ts): members that
// move to the other server within their window neither leave nor join; one that does not
// come back leaves after grace + window. And a server owning its broker is not held.
import { afterEach, describe, expect, it } from 'vitest';
import { memoryBroker } from '../src/broker/memoryBroker';
import { createServer } from '../src/createServer';
import { drainWithPresence, GRACE_MS } from './helpers/drainPresence';
import { FakeClock } from './helpers/fakeClock';
import { TestClient } from './helpers/wsClient';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('presence through a graceful drain (two servers, one memory broker)', () => {
  it('members that move to the other server within their window neither leave nor join; one that does not come back leaves after grace + window', async () => {
    const broker = memoryBroker();
    const clock = new FakeClock();
    const a = await createServer({ port: 0, broker, presenceGraceMs: GRACE_MS, clock });
    const b = await createServer({ port: 0, broker, presenceGraceMs: GRACE_MS });
    cleanups.push(() => broker.close(), () => b.close(), () => a.close());
    await drainWithPresence({ a, b, clock, cleanup: (step) => void cleanups.push(step) }, 'room');
  });

  it('a server that owns its broker (nobody else sees its presence) drains without waiting for the grace', async () => {
    const clock = new FakeClock();
    const a = await createServer({ port: 0, presenceGraceMs: GRACE_MS, clock });
    cleanups.push(() => a.close());
    const c = await TestClient.connect(a.url, { clientId: 'ada' });
    cleanups.push(() => c.close());
    await c.request({ type: 'presence.enter', channel: 'room' });
    // The fake clock never moves: waiting for the grace would hold the drain to its deadline.
    const t0 = performance.now();
    await a.drain({ timeoutMs: 30_000 });
    expect(performance.now() - t0).toBeLessThan(5000);
  });
});
