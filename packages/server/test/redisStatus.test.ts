// What an operator and a publisher are told when Redis stalls or drops the broker's
// connections: one warning when it begins and one info line when it ends, through the
// server's logger (never one per failed command), and a publish that timed out is
// "outcome unknown", not "not stored" (it may land, and here it does).
// Redis is the real one at 127.0.0.1:6379: connections are killed by name with CLIENT
// KILL, stalls are made by a loopback proxy that holds the bytes of this test's
// connections only (CLIENT PAUSE would stall every other Redis test file running at the
// same time).
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { redisBroker, type RedisBroker } from '../src/broker/redisBroker';
import type { RedisBrokerOptions } from '../src/broker/redisOptions';
import { STALL_PROBE_MS } from '../src/broker/redisAvailability';
import { createServer, type LifelineServer } from '../src/createServer';
import type { Logger } from '../src/options';
import { startRoleProxy, type RoleProxy } from './helpers/roleProxy';
import { TestClient } from './helpers/wsClient';
import { fakeClock, REDIS_URL, redisSuite, startRedisProxy, waitFor, type RedisProxy } from './redisTestUtils';

const { available, prefix } = await redisSuite();

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Logged { level: 'debug' | 'info' | 'warn' | 'error'; msg: string }
function recordingLogger(): Logger & { lines: Logged[]; of(level: Logged['level']): string[] } {
  const lines: Logged[] = [];
  const at = (level: Logged['level']) => (msg: string) => void lines.push({ level, msg });
  return { lines, of: (level) => lines.filter((l) => l.level === level).map((l) => l.msg), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

async function node(url: string, logger: Logger, extra: RedisBrokerOptions = {}): Promise<{ broker: RedisBroker; server: LifelineServer }> {
  const broker = redisBroker({ url, keyPrefix: prefix, reconnectDelayMs: () => 50, onError: () => undefined, ...extra });
  const server = await createServer({ port: 0, broker, logger, publishPerSec: 10_000, publishBurst: 10_000 });
  cleanups.push(async () => {
    await server.close();
    await broker.close();
  });
  return { broker, server };
}
async function client(server: LifelineServer): Promise<TestClient> {
  const c = await TestClient.connect(server.url);
  cleanups.push(() => c.close());
  return c;
}
async function rawRedis(): Promise<Redis> {
  const r = new Redis(REDIS_URL);
  cleanups.push(() => r.disconnect());
  return r;
}
/** CLIENT KILL by id of every connection named one of `names` (CLIENT KILL has no name filter; its filters AND), pipelined. */
async function killByName(redis: Redis, ...names: string[]): Promise<number> {
  const list = (await redis.client('LIST')) as string;
  const ids = list.split('\n').filter((l) => names.some((name) => l.includes(` name=${name} `))).map((l) => /^id=(\d+)/.exec(l)![1]!);
  const kills = redis.pipeline();
  for (const id of ids) kills.client('KILL', 'ID', id);
  await kills.exec();
  return ids.length;
}
let n = 0;
const chan = (name: string) => `${name}.${++n}`;
const unique = () => `status-test-${randomBytes(4).toString('hex')}`;
const noop = () => undefined;
const silent: Logger = { debug: noop, info: noop, warn: noop, error: noop };

describe.skipIf(!available)('broker outages in the server log', () => {
  it('CLIENT KILL of the broker\'s connections: one warning naming the connection, then one info line once it reconnected', async () => {
    const logger = recordingLogger();
    const name = unique();
    const { server } = await node(REDIS_URL, logger, { redisOptions: { connectionName: name }, reconnectDelayMs: () => 200 });
    const c = await client(server);
    const ch = chan('kill');
    expect(await c.subscribe(ch)).toMatchObject({ type: 'subscribed' }); // the pub/sub connection is in use too
    expect(await c.publish(ch, 1, 'k1')).toMatchObject({ type: 'ack', offset: 1 });
    expect(logger.of('warn').filter((m) => m.startsWith('broker'))).toEqual([]);

    const redis = await rawRedis();
    expect(await killByName(redis, `${name}:cmd`, `${name}:sub`)).toBe(2);
    await waitFor(() => logger.of('info').some((m) => m.startsWith('broker available again')), 'the recovery line');

    const warnings = logger.of('warn').filter((m) => m.startsWith('broker'));
    // Both connections went down: still one outage, one warning.
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^broker unavailable: redis broker: (commands|pub\/sub) connection lost: /);
    expect(logger.of('info').filter((m) => m.startsWith('broker'))).toEqual([expect.stringMatching(/^broker available again after \d+ ms$/)]);
    // Ordered: the warning came first.
    const order = logger.lines.filter((l) => l.msg.startsWith('broker')).map((l) => l.level);
    expect(order).toEqual(['warn', 'info']);
    expect(await c.publish(ch, 2, 'k2')).toMatchObject({ type: 'ack', offset: 2 });
  });

  it('a stalled Redis: several publishes time out, one warning; its end is told by the probe PING (fake clock) with no traffic; the timed-out publish did land', async () => {
    const logger = recordingLogger();
    const clock = fakeClock();
    const p: RedisProxy = await startRedisProxy();
    cleanups.push(() => p.close());
    const { broker, server } = await node(p.url, logger, { clock, commandTimeoutMs: 200 });
    await waitFor(() => broker.healthy(), 'the broker to connect');
    const c = await client(server);
    const ch = chan('stall');
    expect(await c.publish(ch, 'before', 's1')).toMatchObject({ type: 'ack', offset: 1 });

    p.stall();
    const refused = [];
    // Other channels too: a refused publish holds back later ones of its channel without asking the broker.
    for (const [channel, id] of [[ch, 's2'], [chan('stall-b'), 'b1'], [chan('stall-c'), 'c1']] as const) {
      refused.push(await c.publish(channel, id, id));
    }
    for (const r of refused) {
      expect(r).toMatchObject({ type: 'error', code: 'BROKER_UNAVAILABLE', retryAfterMs: 1000 });
      expect(r.message).toMatch(/^outcome unknown: the broker did not answer in time and the message may have been stored; re-send it with the same id/);
    }
    expect(logger.of('warn').filter((m) => m.startsWith('broker'))).toEqual([
      expect.stringMatching(/^broker unavailable: redis broker: publish failed: Command timed out/),
    ]);

    p.resume();
    expect(logger.of('info').filter((m) => m.startsWith('broker'))).toEqual([]);
    clock.advance(STALL_PROBE_MS); // the probe PINGs; Redis answers
    await waitFor(() => logger.of('info').some((m) => m.startsWith('broker available again')), 'the recovery line');
    expect(logger.of('warn').filter((m) => m.startsWith('broker'))).toHaveLength(1);
    expect(logger.of('info').filter((m) => m.startsWith('broker'))).toHaveLength(1);

    // The publish reported as timed out reached Redis once the stall ended: the re-send says so.
    expect(await c.publish(ch, 's2', 's2')).toMatchObject({ type: 'ack', offset: 2, duplicate: true });
  });

  it('the warning reaches a server started while Redis was already unreachable', async () => {
    const logger = recordingLogger();
    const p = await startRedisProxy();
    cleanups.push(() => p.close());
    await p.down();
    const broker = redisBroker({ url: p.url, keyPrefix: prefix, reconnectDelayMs: () => 50, onError: () => undefined });
    cleanups.push(() => broker.close());
    // The broker notices before the server exists.
    await waitFor(async () => {
      let down = false;
      broker.onStatus((s) => void (down ||= !s.available))();
      return down;
    }, 'the broker to notice');
    const server = await createServer({ port: 0, broker, logger });
    cleanups.push(() => server.close());
    expect(logger.of('warn').filter((m) => m.startsWith('broker'))).toEqual([
      expect.stringMatching(/^broker unavailable: redis broker: (commands|pub\/sub) connection lost: .*ECONNREFUSED/),
    ]);
    await p.up();
    await waitFor(() => logger.of('info').some((m) => m.startsWith('broker available again')), 'the recovery line');
  });
});

describe.skipIf(!available)('a publish whose answer did not come: outcome unknown', () => {
  async function heldNode(): Promise<{ p: RoleProxy; server: LifelineServer }> {
    const p = await startRoleProxy();
    cleanups.push(() => p.close());
    const { broker, server } = await node(p.url, silent, { commandTimeoutMs: 200, readyTimeoutMs: 100 });
    await waitFor(() => broker.healthy(), 'the broker to connect');
    return { p, server };
  }
  const post = (server: LifelineServer, body: Record<string, unknown>) =>
    fetch(`${server.httpUrl}/v1/publish`, { method: 'POST', body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));

  it('HTTP: Redis ran the publish but its answer was held: 503 "outcome unknown", and the re-send with the same id finds it stored', async () => {
    const { p, server } = await heldNode();
    const ch = chan('held');
    p.hold('cmd'); // Redis runs what it gets; the broker never sees the replies
    const withId = await post(server, { channel: ch, data: 1, id: 'h1' });
    expect(withId).toEqual({
      status: 503,
      body: { code: 'BROKER_UNAVAILABLE', message: 'outcome unknown: the broker did not answer in time and the message may have been stored; re-send it with the same id (it is stored once)' },
    });
    const withoutId = await post(server, { channel: ch, data: 2 });
    expect(withoutId.status).toBe(503);
    expect(withoutId.body.message).toBe('outcome unknown: the broker did not answer in time and the message may have been stored; without an "id" a re-send may store it twice');
    p.release('cmd');
    // Both had been stored: the re-send is a duplicate of offset 1.
    expect(await post(server, { channel: ch, data: 1, id: 'h1' })).toEqual({ status: 200, body: { offset: 1, epoch: expect.any(String), duplicate: true } });
  });

  it('a publish never sent (the command connection is down) is still "not stored"', async () => {
    const { p, server } = await heldNode();
    const c = await client(server);
    p.refuse('cmd', true);
    p.cut('cmd');
    const ch = chan('down');
    await waitFor(async () => (await post(server, { channel: ch, data: 1, id: 'd1' })).status === 503, 'the cut to be seen');
    expect(await post(server, { channel: ch, data: 1, id: 'd2' })).toEqual({ status: 503, body: { code: 'BROKER_UNAVAILABLE', message: 'not stored: broker unavailable' } });
    expect(await c.publish(chan('down-ws'), 1, 'w1')).toMatchObject({ code: 'BROKER_UNAVAILABLE', message: 'not stored: broker unavailable' });
  });
});
