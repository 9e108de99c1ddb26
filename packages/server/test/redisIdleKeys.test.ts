// A channel nothing was published on leaves no Redis key for good: a client subscribing to
// (or reading the history of) ever new names grew Redis by two keys per name, forever.
import { describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { redisBroker } from '../src/index';
import { REDIS_BROKER_DEFAULTS } from '../src/broker/redisOptions';
import { useRedisServer } from './helpers/redisServer';
import { REDIS_URL } from './redisTestUtils';

const { available, prefix, start, connect, openBroker, openRedis } = await useRedisServer();

/** PTTL of every key of `channel` under the file's prefix, by key suffix (-1: no expiry). */
async function ttls(r: Redis, channel: string): Promise<Record<string, number>> {
  const keys = await r.keys(`${prefix}{${channel}}:*`);
  const out: Record<string, number> = {};
  for (const k of keys) out[k.slice(`${prefix}{${channel}}:`.length)] = await r.pttl(k);
  return out;
}

describe.skipIf(!available)('Redis keys of channels nothing was published on', () => {
  it('subscribe/unsubscribe and history reads of never-published names leave only expiring keys', async () => {
    const redis = openRedis();
    const broker = openBroker();
    const server = await start({ broker });
    const c = await connect();
    for (let i = 0; i < 20; i++) {
      expect((await c.subscribe(`idle:${i}`)).type).toBe('subscribed');
      await c.request({ type: 'unsub', channel: `idle:${i}` });
    }
    const res = await fetch(`${server.httpUrl}/v1/history?channel=idle:http`);
    expect(res.status).toBe(200);
    for (const name of [...Array.from({ length: 20 }, (_, i) => `idle:${i}`), 'idle:http']) {
      const t = await ttls(redis, name);
      expect(Object.keys(t).sort()).toEqual(['epoch', 'seq']);
      // Without the fix both were -1 (kept for good).
      for (const ms of Object.values(t)) {
        expect(ms).toBeGreaterThan(0);
        expect(ms).toBeLessThanOrEqual(REDIS_BROKER_DEFAULTS.idleChannelTtlMs);
      }
    }
  });

  it('keeps the epoch across reads and keeps the keys for good from the first publish', async () => {
    const redis = openRedis();
    const broker = openBroker();
    const first = await broker.position('idle:then-used');
    // A later read refreshes the expiry and answers the same epoch: nothing to call lost.
    await redis.pexpire(`${prefix}{idle:then-used}:epoch`, 60_000);
    await redis.pexpire(`${prefix}{idle:then-used}:seq`, 60_000);
    expect(await broker.position('idle:then-used')).toEqual(first);
    expect((await ttls(redis, 'idle:then-used')).epoch).toBeGreaterThan(60_000);
    const r = await broker.publish('idle:then-used', { n: 1 }, 'p1');
    expect(r).toEqual({ offset: 1, epoch: first.epoch, duplicate: false });
    const t = await ttls(redis, 'idle:then-used');
    expect(t.epoch).toBe(-1);
    expect(t.seq).toBe(-1);
    expect(t.log).toBe(-1);
    // A read of a published channel sets no expiry on its keys.
    await broker.read('idle:then-used', 0, 10);
    expect((await ttls(redis, 'idle:then-used')).seq).toBe(-1);
  });

  it('idleChannelTtlMs sets that expiry; Infinity keeps the keys for good (and takes back an expiry set before)', async () => {
    const redis = openRedis();
    const short = openBroker({ idleChannelTtlMs: 5_000 });
    try {
      await short.position('idle:short');
    } finally {
      await short.close();
    }
    for (const ms of Object.values(await ttls(redis, 'idle:short'))) {
      expect(ms).toBeGreaterThan(0);
      expect(ms).toBeLessThanOrEqual(5_000);
    }
    const broker = openBroker({ idleChannelTtlMs: Infinity });
    await broker.position('idle:short');
    await broker.position('idle:forever');
    expect(await ttls(redis, 'idle:short')).toEqual({ epoch: -1, seq: -1 });
    expect(await ttls(redis, 'idle:forever')).toEqual({ epoch: -1, seq: -1 });
  });

  it.each([0, -1, 1.5, Number.MAX_SAFE_INTEGER + 2, NaN, '60000'])('idleChannelTtlMs %s throws a RangeError naming the option', (bad) => {
    expect(() => redisBroker({ url: REDIS_URL, keyPrefix: prefix, idleChannelTtlMs: bad as number })).toThrow(/idleChannelTtlMs must be an integer from 1 to \d+ or Infinity/);
  });
});
