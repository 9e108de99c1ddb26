// End to end with @lifeline/core's client: two server nodes over the Redis broker behind a
// loopback "load balancer" (a TCP proxy). The balancer moves its clients from node A to
// node B mid-stream while publishers publish on both nodes.
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, type GapEvent, type LifelineClient, type Message, type PublishResult } from '@lifeline/core';
import { createServer, type LifelineServer } from '../src/createServer';
import { redisBroker, type RedisBroker } from '../src/broker/redisBroker';
import { REDIS_URL, redisSuite, startTcpProxy, waitFor } from './redisTestUtils';

const { available, prefix } = await redisSuite();
const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function startNode(): Promise<LifelineServer> {
  const broker: RedisBroker = redisBroker({ url: REDIS_URL, keyPrefix: prefix, onError: () => undefined });
  const server = await createServer({ port: 0, broker, publishPerSec: 1000, publishBurst: 1000 });
  cleanups.push(async () => {
    await server.close();
    await broker.close();
  });
  return server;
}
function client(url: string): LifelineClient {
  const c = createClient({ url: `${url}/v1`, lifecycle: false, reconnect: { initialDelayMs: 20, maxDelayMs: 300 } });
  cleanups.push(() => c.close());
  return c;
}

describe.skipIf(!available)('core client failing over between two nodes (Redis broker)', () => {
  it('a load balancer switches a subscriber from node A to node B mid-stream: every message once, in order, no gap', async () => {
    const a = await startNode();
    const b = await startNode();
    const lb = await startTcpProxy(a.port);
    cleanups.push(() => lb.close());

    const sub = client(`ws://127.0.0.1:${lb.port}`);
    const pubA = client(a.url);
    const pubB = client(b.url);
    const ch = sub.channel<string>('failover');
    const got: Message<string>[] = [];
    const gaps: GapEvent[] = [];
    ch.on('gap', (g) => gaps.push(g));
    ch.subscribe((m) => void got.push(m));
    await waitFor(() => ch.getSnapshot().state === 'subscribed', 'subscribed through the balancer');

    const N = 200;
    const results: Promise<PublishResult>[] = [];
    for (let i = 0; i < N; i++) {
      results.push((i % 2 === 0 ? pubA : pubB).publish('failover', `m${i}`));
      if (i === 80) {
        await waitFor(() => got.length >= 40, 'some messages before the switch');
        lb.retarget(b.port);
        lb.cutAll(); // node A's sockets to its clients through the balancer are gone
      }
      if (i % 10 === 0) await new Promise((r) => setImmediate(r));
    }
    const acks = await Promise.all(results);
    await waitFor(() => got.length >= N, `all ${N} messages`);

    const dataByOffset = new Map(acks.map((r, i) => [r.offset, `m${i}`]));
    expect(got.map((m) => m.offset)).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    expect(got.map((m) => m.data)).toEqual(got.map((m) => dataByOffset.get(m.offset)));
    expect(new Set(got.map((m) => m.epoch)).size).toBe(1);
    expect(gaps).toEqual([]);
    expect(sub.stats().reconnects).toBeGreaterThanOrEqual(1);
  });
});
