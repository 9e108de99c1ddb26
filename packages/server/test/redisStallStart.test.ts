// When a Redis stall begins, as the status (and so the server's log) tells it. A SIGSTOPped
// Redis: /healthz said 503 after 1 s, the WARNING came 5 s in (the first command timeout),
// and a ~9 s stall was reported as "available again after 4032 ms" (counted from the
// timeout). Now a PING unanswered for 1 s begins it, and it is counted from when the first
// unanswered call was sent. The broker runs on a fake clock; the stall is a loopback proxy
// holding this test's bytes (the real Redis, our own key prefix).
import { afterEach, describe, expect, it } from 'vitest';
import { PING_STALL_MS, STALL_PROBE_MS } from '../src/broker/redisAvailability';
import { redisBroker, type RedisBroker } from '../src/broker/redisBroker';
import type { RedisBrokerOptions } from '../src/broker/redisOptions';
import type { BrokerStatusChange } from '../src/broker/types';
import { fakeClock, redisSuite, startRedisProxy, waitFor, type RedisProxy } from './redisTestUtils';

const { available, prefix } = await redisSuite();

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function stallable(extra: RedisBrokerOptions = {}) {
  const clock = fakeClock();
  const p: RedisProxy = await startRedisProxy();
  cleanups.push(() => p.close());
  const broker: RedisBroker = redisBroker({ url: p.url, keyPrefix: prefix, clock, reconnectDelayMs: () => 50, onError: () => undefined, ...extra });
  cleanups.push(() => broker.close());
  const changes: BrokerStatusChange[] = [];
  broker.onStatus((c) => changes.push(c));
  await waitFor(() => broker.healthy(), 'the broker to connect');
  return { clock, p, broker, changes };
}
const flush = () => new Promise((r) => setImmediate(r));

describe.skipIf(!available)('a Redis stall: when its outage begins', () => {
  it('a /healthz PING unanswered for 1 s begins it (not the 5 s command timeout), counted from the PING\'s send', async () => {
    const { clock, p, broker, changes } = await stallable(); // commandTimeoutMs 5 s, readyTimeoutMs 1 s
    p.stall();
    const health = broker.healthy();
    clock.advance(PING_STALL_MS - 1);
    await flush();
    expect(changes).toEqual([]);
    clock.advance(1);
    expect(await health).toBe(false); // /healthz answers 503 now: the status says so too
    expect(changes).toEqual([{ available: false, reason: 'redis broker: commands connection answered no PING within 1000 ms' }]);

    clock.advance(3000); // the probe PINGs meanwhile, unanswered
    await flush();
    p.resume();
    await waitFor(() => changes.length === 2, 'the stall to end');
    expect(changes[1]).toEqual({ available: true, downMs: 4000 }); // from the PING's send, not from 1 s later
    expect(clock.pending()).toBe(0); // nothing armed once it answered
  });

  it('a stall noticed by a command timeout is counted from that command\'s send', async () => {
    // commandTimeoutMs below PING_STALL_MS: the publish's timeout (real time) is the first evidence.
    const { clock, p, broker, changes } = await stallable({ commandTimeoutMs: 200 });
    p.stall();
    const publish = broker.publish('stall-start', 1, 'a1').then(() => undefined, (e: unknown) => e as Error);
    await flush(); // sent
    clock.advance(3000);
    expect((await publish)?.message).toMatch(/^redis broker: publish failed: Command timed out/);
    expect(changes).toEqual([{ available: false, reason: expect.stringMatching(/^redis broker: publish failed: Command timed out/) }]);
    p.resume();
    clock.advance(STALL_PROBE_MS); // the probe PINGs; Redis answers
    await waitFor(() => changes.length === 2, 'the stall to end');
    expect(changes[1]).toEqual({ available: true, downMs: 3000 + STALL_PROBE_MS });
  });
});
