// A graceful drain of one node on the Redis broker must not make its presence members
// flap: the clients it sends to another node enter again there within their reconnect
// window, so watchers on that node see neither a leave nor a join. Only a member that does
// not come back leaves, once its grace (plus the window it was given) has passed. Before
// the fix, shutdown ran every pending removal at once: each drained member left and
// joined again a moment later. (drainPresence.test.ts: the same on a shared memory broker.)
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type LifelineServer } from '../src/createServer';
import { redisBroker, type RedisBroker } from '../src/broker/redisBroker';
import { drainWithPresence, GRACE_MS } from './helpers/drainPresence';
import { FakeClock } from './helpers/fakeClock';
import { TestClient } from './helpers/wsClient';
import { REDIS_URL, redisSuite } from './redisTestUtils';

const { available, prefix } = await redisSuite();
const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A node on its own broker instance over the shared Redis; `clock` drives its presence grace. */
async function startNode(clock?: FakeClock): Promise<LifelineServer> {
  const broker: RedisBroker = redisBroker({ url: REDIS_URL, keyPrefix: prefix, onError: () => undefined });
  const server = await createServer({ port: 0, broker, presenceGraceMs: GRACE_MS, ...(clock ? { clock } : {}) });
  cleanups.push(async () => {
    await server.close();
    await broker.close();
  });
  return server;
}

describe.skipIf(!available)('presence through a graceful drain (two nodes, Redis broker)', () => {
  it('members that move to the other node within their window neither leave nor join; one that does not come back leaves after grace + window', async () => {
    const clock = new FakeClock();
    const nodes = { a: await startNode(clock), b: await startNode(), clock, cleanup: (step: () => Promise<unknown> | void) => void cleanups.push(step) };
    await drainWithPresence(nodes, `drain-presence.${Date.now()}`);
  });

  it('a drain on a node with no presence finishes as soon as its clients are gone', async () => {
    const a = await startNode(new FakeClock());
    const c = await TestClient.connect(a.url);
    cleanups.push(() => c.close());
    await c.subscribe('drain-presence.none');
    const t0 = performance.now();
    await a.drain({ timeoutMs: 60_000 });
    expect(performance.now() - t0).toBeLessThan(5000);
  });
});
