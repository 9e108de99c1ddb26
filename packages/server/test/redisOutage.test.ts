// Redis down / restarting, simulated with a loopback proxy in front of the real Redis
// (the shared Redis server itself is never stopped).
import { afterEach, describe, expect, it } from 'vitest';
import { BrokerUnavailableError, isBrokerUnavailable, redisBroker, type RedisBroker } from '../src/broker/redisBroker';
import type { RedisBrokerOptions } from '../src/broker/redisOptions';
import type { PresenceChange, StoredMessage } from '../src/broker/types';
import { REDIS_URL, redisSuite, startRedisProxy, waitFor, type RedisProxy } from './redisTestUtils';

const { available, prefix } = await redisSuite();
const open: RedisBroker[] = [];
const proxies: RedisProxy[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close()));
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});

function node(url: string, extra: RedisBrokerOptions = {}): RedisBroker {
  const b = redisBroker({
    url, keyPrefix: prefix, readyTimeoutMs: 300, reconnectDelayMs: () => 50, onError: () => undefined, ...extra,
  });
  open.push(b);
  return b;
}
async function proxy(): Promise<RedisProxy> {
  const p = await startRedisProxy();
  proxies.push(p);
  return p;
}
let n = 0;
const chan = (name: string) => `${name}.${++n}`;

describe.skipIf(!available)('redisBroker when Redis is down or restarting', () => {
  it('with Redis unreachable: unhealthy, and publish/subscribe reject with BROKER_UNAVAILABLE', async () => {
    const p = await proxy();
    await p.down();
    const b = node(p.url);
    expect(await b.healthy()).toBe(false);
    const err = await b.publish('x', 1, 'id-1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrokerUnavailableError);
    expect(isBrokerUnavailable(err)).toBe(true);
    expect((err as BrokerUnavailableError).code).toBe('BROKER_UNAVAILABLE');
    await expect(b.onMessage('x', () => undefined)).rejects.toMatchObject({ code: 'BROKER_UNAVAILABLE' });
    await expect(b.read('x', 0, 10)).rejects.toMatchObject({ code: 'BROKER_UNAVAILABLE' });
    await expect(b.presenceList('x')).rejects.toMatchObject({ code: 'BROKER_UNAVAILABLE' });
  });

  it('a cut node reports unhealthy, refuses publishes without storing them, then resumes its listeners from the last offset seen', async () => {
    const p = await proxy();
    const cut = node(p.url);
    const direct = node(REDIS_URL);
    const ch = chan('outage');
    const seen: StoredMessage[] = [];
    await cut.onMessage(ch, (m) => seen.push(m));
    await direct.publish(ch, 1);
    await direct.publish(ch, 2);
    await waitFor(() => seen.length === 2, 'first two messages on the cut node');
    expect(await cut.healthy()).toBe(true);

    await p.down();
    await waitFor(async () => !(await cut.healthy()), 'cut node to report unhealthy');
    await expect(cut.publish(ch, 'lost?', 'during-outage')).rejects.toMatchObject({ code: 'BROKER_UNAVAILABLE' });
    for (let i = 3; i <= 6; i++) await direct.publish(ch, i);
    expect((await direct.position(ch)).offset).toBe(6); // the refused publish was not stored

    await p.up();
    await waitFor(() => cut.healthy(), 'cut node healthy again');
    await waitFor(() => seen.length >= 6, 'messages published during the outage');
    await direct.publish(ch, 7);
    await waitFor(() => seen.length >= 7, 'live message after recovery');
    expect(seen.map((m) => m.offset)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(seen.map((m) => m.data)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    // The client re-sends its refused publish with the same id: stored once.
    const resent = await cut.publish(ch, 'lost?', 'during-outage');
    expect(resent).toMatchObject({ offset: 8, duplicate: false });
    expect(await cut.publish(ch, 'lost?', 'during-outage')).toMatchObject({ offset: 8, duplicate: true });
  });

  it('rebuilds presence events missed during an outage', async () => {
    const p = await proxy();
    const cut = node(p.url);
    const direct = node(REDIS_URL);
    const ch = chan('presence-outage');
    const seen: PresenceChange[] = [];
    await direct.presenceSet(ch, { clientId: 'early', connId: 'e' }, 60_000);
    await cut.onPresence(ch, (c) => seen.push(c));
    await p.down();
    await waitFor(async () => !(await cut.healthy()), 'cut node unhealthy');
    await direct.presenceSet(ch, { clientId: 'late', connId: 'l', info: 'hi' }, 60_000);
    await direct.presenceRemove(ch, 'early', 'e');
    await p.up();
    await waitFor(() => seen.length >= 2, 'missed join and leave');
    expect(seen.map((c) => `${c.event}:${c.member.clientId}`).sort()).toEqual(['join:late', 'leave:early']);
  });

  it('fills offsets whose notifications were missed, through one gap, even with retention trimming', async () => {
    const p = await proxy();
    const cut = node(p.url, { catchUpBatch: 3 });
    const direct = node(REDIS_URL, { retention: 4 });
    const ch = chan('trimmed');
    const seen: number[] = [];
    await cut.onMessage(ch, (m) => seen.push(m.offset));
    await direct.publish(ch, 1);
    await waitFor(() => seen.length === 1, 'first message');
    await p.down();
    await waitFor(async () => !(await cut.healthy()), 'cut node unhealthy');
    for (let i = 2; i <= 10; i++) await direct.publish(ch, i); // retention 4 keeps 7..10
    await p.up();
    await waitFor(() => seen.length >= 5, 'retained messages after the outage');
    // 2..6 fell out of retention while the node was cut: the jump is visible, never papered over.
    expect(seen).toEqual([1, 7, 8, 9, 10]);
  });

  it('repeated connection cuts while another node publishes: every offset once, in order', async () => {
    const p = await proxy();
    const cut = node(p.url, { catchUpBatch: 7 });
    const direct = node(REDIS_URL);
    const ch = chan('flaky');
    const seen: number[] = [];
    await cut.onMessage(ch, (m) => seen.push(m.offset));
    const N = 400;
    for (let i = 1; i <= N; i++) {
      await direct.publish(ch, i);
      if (i % 50 === 25) p.cutAll(); // both of the node's connections drop and reconnect
    }
    await waitFor(() => seen.length >= N, `all ${N} offsets on the flaky node (have ${seen.length})`, 20_000);
    expect(seen).toEqual(Array.from({ length: N }, (_, i) => i + 1));
  });

  it('many calls waiting for a reconnect at once: no listener pile-up (no MaxListenersExceededWarning), each served once Redis is back', async () => {
    const p = await proxy();
    const cut = node(p.url, { readyTimeoutMs: 5000 });
    const ch = chan('waiters');
    await cut.publish(ch, 0, 'w-0');
    const warnings: Error[] = [];
    const onWarning = (w: Error) => void warnings.push(w);
    process.on('warning', onWarning);
    try {
      await p.down();
      await waitFor(async () => !(await cut.healthy()), 'cut node unhealthy');
      // 30 > Node's default of 10 listeners per event: each used to add its own.
      const waiting = Array.from({ length: 30 }, (_, i) => cut.publish(ch, i + 1, `w-${i + 1}`));
      await new Promise((r) => setTimeout(r, 50));
      await p.up();
      const acks = await Promise.all(waiting);
      expect(acks.map((a) => a.offset).sort((x, y) => x - y)).toEqual(Array.from({ length: 30 }, (_, i) => i + 2));
      await new Promise((r) => setImmediate(r)); // warnings are emitted on a later tick
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message)).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('a stalled Redis: unhealthy within readyTimeoutMs, publish times out as BROKER_UNAVAILABLE, a re-send is stored once', async () => {
    const p = await proxy();
    const stalled = node(p.url, { commandTimeoutMs: 300 });
    const direct = node(REDIS_URL);
    const ch = chan('stall');
    expect((await stalled.publish(ch, 'before', 'b-1')).offset).toBe(1);
    p.stall();
    expect(await stalled.healthy()).toBe(false);
    await expect(stalled.publish(ch, 'during', 'd-1')).rejects.toMatchObject({ code: 'BROKER_UNAVAILABLE' });
    p.resume();
    await waitFor(() => stalled.healthy(), 'healthy after the stall');
    // The timed-out publish may have reached Redis after all; re-sending its id is still exactly-once.
    const resent = await stalled.publish(ch, 'during', 'd-1');
    expect(resent.offset).toBe(2);
    const log = await direct.read(ch, 0, 10);
    expect(log.messages.map((m) => m.id)).toEqual(['b-1', 'd-1']);
  });
});
