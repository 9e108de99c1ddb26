// Two reference-server nodes sharing channels through the Redis broker, driven by raw
// `ws` clients speaking PROTOCOL.md. Real Redis, real sockets, port 0.
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type LifelineServer } from '../src/createServer';
import { redisBroker, type RedisBroker } from '../src/broker/redisBroker';
import type { RedisBrokerOptions } from '../src/broker/redisOptions';
import { TestClient, type Frame } from './helpers/wsClient';
import { deletePrefix, REDIS_URL, redisSuite, startRedisProxy, waitFor, type RedisProxy } from './redisTestUtils';

const { available, prefix } = await redisSuite();
const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Node {
  server: LifelineServer;
  broker: RedisBroker;
  stop(): Promise<void>;
}
async function startNode(brokerOptions: RedisBrokerOptions = {}): Promise<Node> {
  const broker = redisBroker({ url: REDIS_URL, keyPrefix: prefix, onError: () => undefined, ...brokerOptions });
  const server = await createServer({ port: 0, broker, publishPerSec: 1000, publishBurst: 1000 });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await server.close();
    await broker.close();
  };
  cleanups.push(stop);
  return { server, broker, stop };
}
async function connect(node: Node, clientId: string): Promise<TestClient> {
  const c = await TestClient.connect(node.server.url, { clientId });
  cleanups.push(() => c.close());
  return c;
}
let n = 0;
const chan = (name: string) => `${name}.${++n}`;
const offsets = (frames: Frame[]) => frames.map((f) => f.offset as number);

describe.skipIf(!available)('two server nodes over the Redis broker', () => {
  it('moves a subscriber from node A to node B mid-stream while both nodes take publishes: no loss, no duplicate, in order', async () => {
    const a = await startNode();
    const b = await startNode();
    const ch = chan('move');
    const subA = await connect(a, 'sub');
    const pubA = await connect(a, 'pubA');
    const pubB = await connect(b, 'pubB');
    const first = await subA.subscribe(ch);
    expect(first).toMatchObject({ type: 'subscribed', offset: 0 });

    const acked = new Map<number, string>();
    const publishMany = async (c: TestClient, who: string, count: number) => {
      for (let i = 0; i < count; i++) {
        const ack = await c.publish(ch, `${who}-${i}`, `${who}-${i}`);
        expect(ack.type).toBe('ack');
        acked.set(ack.offset as number, `${who}-${i}`);
      }
    };
    const publishing = Promise.all([publishMany(pubA, 'A', 150), publishMany(pubB, 'B', 150)]);

    await waitFor(() => subA.msgs(ch).length >= 60, 'node A subscriber to get 60 messages');
    subA.close(); // cut from node A mid-stream
    await subA.waitClosed();
    const gotOnA = subA.msgs(ch);
    const last = gotOnA[gotOnA.length - 1] as Frame;

    const subB = await connect(b, 'sub');
    const reply = await subB.subscribe(ch, { offset: last.offset as number, epoch: last.epoch as string });
    expect(reply).toMatchObject({ type: 'subscribed', recovered: true, epoch: first.epoch });
    expect(acked.size).toBeLessThan(300); // the move happened while publishing went on

    await publishing;
    await waitFor(() => subB.msgs(ch).length >= 300 - gotOnA.length, 'node B subscriber to get the rest');
    const all = [...gotOnA, ...subB.msgs(ch)];
    expect(offsets(all)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    for (const f of all) expect(f.data).toBe(acked.get(f.offset as number));
    expect(new Set(all.map((f) => f.epoch))).toEqual(new Set([first.epoch]));
  });

  it('after a server restart, a subscriber resumes on the new process with recovered:true and no gap', async () => {
    const a = await startNode();
    const b = await startNode();
    const ch = chan('restart');
    const sub = await connect(a, 'sub');
    const pub = await connect(b, 'pub');
    const first = await sub.subscribe(ch);
    for (let i = 1; i <= 5; i++) await pub.publish(ch, i, `p${i}`);
    await waitFor(() => sub.msgs(ch).length === 5, 'five messages on node A');
    await a.stop();
    await sub.waitClosed();

    for (let i = 6; i <= 8; i++) await pub.publish(ch, i, `p${i}`); // while node A is down
    const a2 = await startNode();
    const again = await connect(a2, 'sub');
    const reply = await again.subscribe(ch, { offset: 5, epoch: first.epoch as string });
    expect(reply).toMatchObject({ type: 'subscribed', recovered: true, replay: 3, offset: 8, epoch: first.epoch });
    await pub.publish(ch, 9, 'p9');
    await waitFor(() => again.msgs(ch).length >= 4, 'replay and the live message');
    expect(offsets(again.msgs(ch))).toEqual([6, 7, 8, 9]);
    expect(again.msgs(ch).map((f) => f.data)).toEqual([6, 7, 8, 9]);
  });

  it('when the offset fell out of retention, says so explicitly (recovered:false), sends the retained window and continues live', async () => {
    const a = await startNode({ retention: 5 });
    const b = await startNode({ retention: 5 });
    const ch = chan('retention');
    const sub = await connect(a, 'sub');
    const pub = await connect(b, 'pub');
    const first = await sub.subscribe(ch);
    await pub.publish(ch, 1, 'p1');
    await pub.publish(ch, 2, 'p2');
    await waitFor(() => sub.msgs(ch).length === 2, 'two messages');
    sub.close();
    for (let i = 3; i <= 20; i++) await pub.publish(ch, i, `p${i}`);

    const again = await connect(b, 'sub');
    const reply = await again.subscribe(ch, { offset: 2, epoch: first.epoch as string });
    expect(reply).toMatchObject({ type: 'subscribed', recovered: false, reason: 'out-of-retention', offset: 20, epoch: first.epoch, replay: 5 });
    await pub.publish(ch, 21, 'p21');
    await waitFor(() => again.msgs(ch).length >= 6, 'the retained window and the live message');
    expect(offsets(again.msgs(ch))).toEqual([16, 17, 18, 19, 20, 21]);
  });

  it('while Redis is unreachable a node keeps its sockets, answers BROKER_UNAVAILABLE and 503, then recovers with no loss', async () => {
    const proxy: RedisProxy = await startRedisProxy();
    cleanups.push(() => proxy.close());
    const a = await startNode({ url: proxy.url, readyTimeoutMs: 300, reconnectDelayMs: () => 50 });
    const b = await startNode();
    const ch = chan('down');
    const sub = await connect(a, 'sub');
    const pubA = await connect(a, 'pubA');
    const pubB = await connect(b, 'pubB');
    await sub.subscribe(ch);
    await pubB.publish(ch, 1, 'p1');
    await waitFor(() => sub.msgs(ch).length === 1, 'first message');

    await proxy.down();
    await waitFor(async () => (await fetch(`${a.server.httpUrl}/healthz`)).status === 503, '/healthz to answer 503');
    const refused = await pubA.publish(ch, 'x', 'pa-1');
    expect(refused).toMatchObject({ type: 'error', code: 'BROKER_UNAVAILABLE' });
    await pubB.publish(ch, 2, 'p2');
    await pubB.publish(ch, 3, 'p3');
    expect(sub.closed).toBeUndefined();
    expect(pubA.closed).toBeUndefined();

    await proxy.up();
    await waitFor(async () => (await fetch(`${a.server.httpUrl}/healthz`)).status === 200, '/healthz back to 200');
    const resent = await pubA.publish(ch, 'x', 'pa-1'); // the client re-sends with the same id
    expect(resent).toMatchObject({ type: 'ack', offset: 4 });
    await waitFor(() => sub.msgs(ch).length >= 4, 'the messages published during the outage, then the re-sent one');
    expect(offsets(sub.msgs(ch))).toEqual([1, 2, 3, 4]);
    expect(sub.msgs(ch).map((f) => f.data)).toEqual([1, 2, 3, 'x']);
  });

  it('when Redis lost the history (e.g. restarted without persistence), resuming says epoch-changed', async () => {
    const a = await startNode();
    const b = await startNode();
    const ch = chan('lost');
    const sub = await connect(a, 'sub');
    const pub = await connect(b, 'pub');
    const first = await sub.subscribe(ch);
    await pub.publish(ch, 1, 'p1');
    await waitFor(() => sub.msgs(ch).length === 1, 'one message');
    sub.close();
    await deletePrefix(`${prefix}{${ch}}`);
    await pub.publish(ch, 'after', 'p2');

    const again = await connect(a, 'sub');
    const reply = await again.subscribe(ch, { offset: 1, epoch: first.epoch as string });
    expect(reply).toMatchObject({ type: 'subscribed', recovered: false, reason: 'epoch-changed', offset: 1 });
    expect(reply.epoch).not.toBe(first.epoch);
  });
});
