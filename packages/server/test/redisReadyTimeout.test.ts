// readyTimeoutMs: Infinity means "wait for Redis however long it takes": Node ran such a
// timer after 1 ms, so every call failed at once while Redis was reconnecting.
import { afterEach, describe, expect, it } from 'vitest';
import { redisBroker, type RedisBroker } from '../src/broker/redisBroker';
import { redisSuite, startRedisProxy, waitFor, type RedisProxy } from './redisTestUtils';

const { available, prefix } = await redisSuite();
const open: RedisBroker[] = [];
const proxies: RedisProxy[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close()));
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});

describe.skipIf(!available)('redisBroker readyTimeoutMs: Infinity', () => {
  it('a publish while Redis is away waits for it to come back instead of failing after 1 ms', async () => {
    const proxy = await startRedisProxy();
    proxies.push(proxy);
    const errors: string[] = [];
    const b = redisBroker({
      url: proxy.url, keyPrefix: prefix, readyTimeoutMs: Infinity, reconnectDelayMs: () => 50, onError: (e) => errors.push(e.message),
    });
    open.push(b);
    // the first call already waits for the connection to be ready (it failed at once too)
    expect((await b.publish('wait', 1, 'w-1')).offset).toBe(1);
    await proxy.down();
    // Reported once a reconnect failed, so the command connection is no longer 'ready'
    // (healthy() turned false as soon as either connection dropped: a publish could still
    // go out on a command connection about to close, and fail).
    await waitFor(() => errors.some((m) => m.includes('commands connection lost')), 'the broker to notice the outage');
    let outcome: string | undefined;
    const pending = b.publish('wait', 2, 'w-2').then(
      (r) => (outcome = `stored ${r.offset}`),
      (err: Error) => (outcome = `failed: ${err.message}`),
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(outcome).toBeUndefined();
    await proxy.up();
    await pending;
    expect(outcome).toBe('stored 2');
  });
});
