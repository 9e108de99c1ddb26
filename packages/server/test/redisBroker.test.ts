// Broker-level tests of the Redis Streams broker against the real Redis at 127.0.0.1:6379.
// Two broker instances with one key prefix play two server nodes.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { redisBroker, type RedisBroker } from '../src/broker/redisBroker';
import type { RedisBrokerOptions } from '../src/broker/redisOptions';
import type { StoredMessage } from '../src/broker/types';
import { channelKeys } from '../src/broker/redisKeys';
import { PUBLISH_LUA } from '../src/broker/redisScripts';
import { deletePrefix, REDIS_URL, redisSuite, startRedisProxy, waitFor } from './redisTestUtils';

const { available, prefix } = await redisSuite();
const open: RedisBroker[] = [];
const errors: Error[] = [];

function node(extra: RedisBrokerOptions = {}): RedisBroker {
  const b = redisBroker({ url: REDIS_URL, keyPrefix: prefix, onError: (e) => errors.push(e), ...extra });
  open.push(b);
  return b;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close()));
});

let n = 0;
const chan = (name: string) => `${name}.${++n}`;

describe.skipIf(!available)('redisBroker (real Redis)', () => {
  it('assigns offsets 1, 2, 3… and reads them back with head, earliest and epoch', async () => {
    const a = node();
    const ch = chan('basic');
    const empty = await a.position(ch);
    expect(empty.offset).toBe(0);
    expect(empty.epoch).toMatch(/^e_[0-9a-f]{16}$/);
    for (let i = 1; i <= 5; i++) {
      expect(await a.publish(ch, { i }, `p${i}`)).toEqual({ offset: i, epoch: empty.epoch, duplicate: false });
    }
    const r = await a.read(ch, 2, 2);
    expect(r).toMatchObject({ epoch: empty.epoch, head: 5, earliest: 1 });
    expect(r.messages.map((m) => [m.offset, m.data, m.id])).toEqual([[3, { i: 3 }, 'p3'], [4, { i: 4 }, 'p4']]);
    expect(r.messages[0]).toMatchObject({ channel: ch, epoch: empty.epoch });
    expect(typeof r.messages[0]?.ts).toBe('number');
    expect((await a.read(ch, 5, 10)).messages).toEqual([]);
  });

  it('gives publishes from two nodes unique consecutive offsets and every listener sees each once, in order', async () => {
    const a = node();
    const b = node();
    const ch = chan('order');
    const seenA: StoredMessage[] = [];
    const seenB: StoredMessage[] = [];
    await a.onMessage(ch, (m) => seenA.push(m));
    await b.onMessage(ch, (m) => seenB.push(m));
    const acks = await Promise.all(
      Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? a : b).publish(ch, i, `m${i}`)),
    );
    expect(acks.map((x) => x.offset).sort((x, y) => x - y)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    await waitFor(() => seenA.length >= 200 && seenB.length >= 200, 'both nodes to receive 200 messages');
    const expected = Array.from({ length: 200 }, (_, i) => i + 1);
    expect(seenA.map((m) => m.offset)).toEqual(expected);
    expect(seenB.map((m) => m.offset)).toEqual(expected);
    // Each message's payload is the one that was acknowledged at that offset.
    for (const [i, ack] of acks.entries()) expect(seenB[ack.offset - 1]?.data).toBe(i);
  });

  it('dedupes a re-sent id across nodes: the original offset, stored once', async () => {
    const a = node();
    const b = node();
    const ch = chan('dedupe');
    const first = await a.publish(ch, 'x', 'same-id');
    await a.publish(ch, 'y', 'other-id');
    const again = await b.publish(ch, 'x (re-sent)', 'same-id');
    expect(again).toEqual({ offset: first.offset, epoch: first.epoch, duplicate: true });
    const log = await b.read(ch, 0, 100);
    expect(log.messages.map((m) => m.data)).toEqual(['x', 'y']);
    expect(log.head).toBe(2);
  });

  it('refuses an id that is not well-formed Unicode (Redis would store it as U+FFFD, merging two ids)', async () => {
    const a = node();
    const ch = chan('surrogate');
    const lone = JSON.parse('"c1-\\ud800"') as string;
    await expect(a.publish(ch, 'first', lone)).rejects.toThrow(TypeError);
    expect((await a.read(ch, 0, 10)).messages).toEqual([]);
    expect(await a.publish(ch, 'ok', 'c1-\u{1F600}')).toMatchObject({ offset: 1, duplicate: false }); // a pair is fine
  });

  it('keeps the dedupe key in Redis with the configured TTL', async () => {
    const a = node({ dedupeTtlMs: 45_000 });
    const ch = chan('ttl');
    await a.publish(ch, 1, 'ttl-id');
    const raw = new Redis(REDIS_URL);
    try {
      const ttl = await raw.pttl(`${prefix}{${ch}}:id:ttl-id`);
      expect(ttl).toBeGreaterThan(40_000);
      expect(ttl).toBeLessThanOrEqual(45_000);
    } finally {
      raw.disconnect();
    }
  });

  it('retains the last `retention` messages: earliest moves, older offsets are gone', async () => {
    const a = node({ retention: 5 });
    const ch = chan('retention');
    for (let i = 1; i <= 12; i++) await a.publish(ch, i);
    const r = await a.read(ch, 0, 100);
    expect(r.head).toBe(12);
    expect(r.earliest).toBe(8);
    expect(r.messages.map((m) => m.offset)).toEqual([8, 9, 10, 11, 12]);
  });

  it('keeps epoch and offsets across broker restarts, and changes the epoch only when the history is gone', async () => {
    const ch = chan('epoch');
    const first = node();
    await first.publish(ch, 'a');
    await first.publish(ch, 'b');
    const before = await first.position(ch);
    await first.close();

    const second = node();
    expect(await second.position(ch)).toEqual(before);
    expect(await second.publish(ch, 'c')).toMatchObject({ offset: 3, epoch: before.epoch });

    const raw = new Redis(REDIS_URL);
    try {
      await raw.del(`${prefix}{${ch}}:log`); // the stream's history is lost
    } finally {
      raw.disconnect();
    }
    const after = await second.position(ch);
    expect(after.epoch).not.toBe(before.epoch);
    expect(after.offset).toBe(0);
    expect(await second.publish(ch, 'd')).toMatchObject({ offset: 1, epoch: after.epoch });
    expect(await second.position(ch)).toEqual({ offset: 1, epoch: after.epoch });

    const raw2 = new Redis(REDIS_URL);
    try {
      await raw2.del(`${prefix}{${ch}}:seq`); // the offset counter is lost: offsets could repeat
    } finally {
      raw2.disconnect();
    }
    const third = await second.position(ch);
    expect(third.epoch).not.toBe(after.epoch);
    expect(third.offset).toBe(0);
  });

  it('with approximateRetention keeps at least `retention` consecutive messages', async () => {
    const a = node({ retention: 5, approximateRetention: true });
    const ch = chan('approx');
    for (let i = 1; i <= 30; i++) await a.publish(ch, i);
    const r = await a.read(ch, 0, 1000);
    expect(r.head).toBe(30);
    expect(r.earliest).toBeLessThanOrEqual(26);
    expect(r.messages.map((m) => m.offset)).toEqual(Array.from({ length: 31 - r.earliest }, (_, i) => r.earliest + i));
  });

  it('an empty channel keeps its epoch until the first publish', async () => {
    const a = node();
    const ch = chan('empty-epoch');
    const pos = await a.position(ch);
    expect((await node().publish(ch, 1)).epoch).toBe(pos.epoch);
  });

  it('rejects data that is not JSON with a TypeError and stores nothing', async () => {
    const a = node();
    const ch = chan('bad-data');
    await expect(a.publish(ch, undefined)).rejects.toThrow(TypeError);
    await expect(a.publish(ch, 10n)).rejects.toThrow(/JSON/);
    expect((await a.position(ch)).offset).toBe(0);
  });

  it('keeps delivering to other listeners when one throws, and reports the exception', async () => {
    const a = node();
    const ch = chan('throwing');
    const seen: number[] = [];
    await a.onMessage(ch, () => {
      throw new Error('listener bug');
    });
    await a.onMessage(ch, (m) => seen.push(m.offset));
    await a.publish(ch, 1);
    await a.publish(ch, 2);
    await waitFor(() => seen.length === 2, 'two deliveries');
    expect(seen).toEqual([1, 2]);
    expect(errors.some((e) => e.message === 'listener bug')).toBe(true);
  });

  it('stops delivering after detach and unsubscribes when the last listener leaves', async () => {
    const a = node();
    const b = node();
    const ch = chan('detach');
    const seen: number[] = [];
    const off = await a.onMessage(ch, (m) => seen.push(m.offset));
    const marker: number[] = [];
    await a.onMessage(`${ch}.other`, (m) => marker.push(m.offset));
    await b.publish(ch, 1);
    await waitFor(() => seen.length === 1, 'first delivery');
    await off();
    await b.publish(ch, 2);
    await b.publish(`${ch}.other`, 'after');
    // Notifications on one connection arrive in publish order: once the later one is
    // here, the detached channel's message would have been too.
    await waitFor(() => marker.length === 1, 'marker on another channel');
    expect(seen).toEqual([1]);
  });

  it('concurrent onMessage calls on one channel share one feed and each sees every message', async () => {
    const a = node();
    const ch = chan('concurrent');
    const x: number[] = [];
    const y: number[] = [];
    await Promise.all([a.onMessage(ch, (m) => x.push(m.offset)), a.onMessage(ch, (m) => y.push(m.offset))]);
    await node().publish(ch, 1);
    await node().publish(ch, 2);
    await waitFor(() => x.length === 2 && y.length === 2, 'both listeners');
    expect([x, y]).toEqual([[1, 2], [1, 2]]);
  });

  it('idle: nothing polls; a node with listeners sends only a liveness PING per connection every min(commandTimeoutMs, 5 s), one without sends nothing', async () => {
    // Every byte a node sends Redis goes through this proxy and is kept, per node.
    const sent = new Map<string, string[]>();
    const server = net.createServer((client) => {
      const upstream = net.connect(6379, '127.0.0.1');
      let tag: string | undefined;
      client.on('data', (b: Buffer) => {
        tag ??= /lifeline-idle-\d+-(\w+):/.exec(b.toString('latin1'))?.[1];
        if (tag) sent.set(tag, [...(sent.get(tag) ?? []), b.toString('latin1')]);
        upstream.write(b);
      });
      upstream.pipe(client);
      for (const sock of [client, upstream]) sock.on('error', () => undefined);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `redis://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    try {
      const name = (tag: string) => ({ connectionName: `lifeline-idle-${process.pid}-${tag}` });
      // The PING period is min(commandTimeoutMs, 5 s): 300 ms here, so the window sees several.
      const listening = node({ url, redisOptions: name('listening'), presenceSweepMs: 200, commandTimeoutMs: 300 });
      const quiet = node({ url, redisOptions: name('quiet'), commandTimeoutMs: 300 });
      for (let i = 0; i < 20; i++) {
        const ch = chan('idle');
        await listening.onMessage(ch, () => undefined);
        await listening.onPresence(ch, () => undefined); // as the server does for every subscribed channel
        if (i % 4 === 0) await listening.presenceSet(ch, { clientId: `m${i}`, connId: 'c' }, 60_000);
      }
      await quiet.publish(chan('idle'), 1);
      await new Promise((r) => setTimeout(r, 400)); // the last replies and subscriptions settle
      expect([...sent.keys()].sort()).toEqual(['listening', 'quiet']); // both nodes' bytes are seen
      sent.clear();
      await new Promise((r) => setTimeout(r, 1500));
      const pings = /\*1\r\n\$4\r\nping\r\n/gi;
      const fromListening = (sent.get('listening') ?? []).join('');
      // Nothing but PINGs (no presence sweep is due, no read, no poll)...
      expect(fromListening.replace(pings, '')).toBe('');
      // ...about 1500 / 300 per connection, 2 connections (timers are not exact: a margin).
      const count = fromListening.match(pings)?.length ?? 0;
      expect(count).toBeGreaterThanOrEqual(6);
      expect(count).toBeLessThanOrEqual(12);
      expect(sent.get('quiet') ?? []).toEqual([]);
    } finally {
      await Promise.all(open.splice(0).map((b) => b.close()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('a live listener follows a channel whose history was lost: the new epoch from offset 1', async () => {
    const a = node();
    const b = node();
    const ch = chan('lost-live');
    const seen: StoredMessage[] = [];
    await a.onMessage(ch, (m) => seen.push(m));
    await b.publish(ch, 'old-1');
    await b.publish(ch, 'old-2');
    await waitFor(() => seen.length === 2, 'two messages in the first epoch');
    await deletePrefix(`${prefix}{${ch}}`); // what a Redis restart without persistence does to this channel
    const fresh = await b.publish(ch, 'new-1');
    expect(fresh.offset).toBe(1);
    expect(fresh.epoch).not.toBe(seen[0]?.epoch);
    await waitFor(() => seen.length === 3, 'the first message of the new epoch');
    expect(seen.map((m) => [m.epoch === fresh.epoch, m.offset, m.data])).toEqual([
      [false, 1, 'old-1'], [false, 2, 'old-2'], [true, 1, 'new-1'],
    ]);
  });

  it('after close: unhealthy, and calls reject with BROKER_UNAVAILABLE', async () => {
    const a = node();
    await a.position(chan('closing')); // the command connection is up
    const detach = await a.onMessage(chan('closing'), () => undefined); // and the pub/sub one
    expect(await a.healthy()).toBe(true);
    await detach();
    await a.close();
    expect(await a.healthy()).toBe(false);
    await expect(a.publish('x', 1)).rejects.toMatchObject({ code: 'BROKER_UNAVAILABLE' });
    await expect(a.onMessage('x', () => undefined)).rejects.toMatchObject({ code: 'BROKER_UNAVAILABLE' });
    await a.close(); // idempotent
  });

  it('dedupeTtlMs: Infinity keeps ids without expiry: stored once, notified, a re-send is a duplicate (it failed every publish after storing it)', async () => {
    const a = node({ dedupeTtlMs: Infinity });
    const ch = chan('ttl-inf');
    const got: StoredMessage[] = [];
    await a.onMessage(ch, (m) => got.push(m));
    const first = await a.publish(ch, 'hello', 'm1');
    expect(first).toMatchObject({ offset: 1, duplicate: false });
    expect(await a.publish(ch, 'hello', 'm1')).toEqual({ ...first, duplicate: true });
    await waitFor(() => got.length === 1, 'notified');
    expect((await a.read(ch, 0, 10)).messages.map((m) => [m.offset, m.id])).toEqual([[1, 'm1']]);
    const r = new Redis(REDIS_URL);
    try {
      expect(await r.pttl(`${channelKeys(prefix, ch).dedupe}m1`)).toBe(-1);
    } finally {
      r.disconnect();
    }
  });

  it('the publish script checks its arguments before its first write (a Lua error does not undo earlier writes)', async () => {
    const r = new Redis(REDIS_URL);
    r.defineCommand('llPublishRaw', { numberOfKeys: 4, lua: PUBLISH_LUA });
    const k = channelKeys(prefix, chan('script-args'));
    const call = (maxLen: string, ttl: string) => (r as unknown as { llPublishRaw(...a: string[]): Promise<unknown> })
      .llPublishRaw(k.epoch, k.seq, k.log, `${k.dedupe}x`, 'e_test', '1', 'x', '0', maxLen, '0', ttl, k.feed);
    try {
      for (const [maxLen, ttl] of [['10', '0'], ['10', '1.5'], ['10', 'Infinity'], ['0', '1000'], ['x', '1000']]) {
        await expect(call(maxLen!, ttl!), `${maxLen} ${ttl}`).rejects.toThrow(/lifeline publish: bad/);
      }
      expect(await r.exists(k.epoch, k.seq, k.log, `${k.dedupe}x`)).toBe(0);
      await expect(call('10', '')).resolves.toEqual([1, 'e_test', 0]); // '' = no expiry
    } finally {
      r.disconnect();
    }
  });

  it('catchUpBatch: 1 catches up everything published during a cut, one read per message', async () => {
    const proxy = await startRedisProxy();
    try {
      const a = node();
      const b = node({ url: proxy.url, catchUpBatch: 1, reconnectDelayMs: () => 20 });
      const ch = chan('batch-1');
      const got: number[] = [];
      await b.onMessage(ch, (m) => got.push(m.offset));
      await a.publish(ch, 1, 'b1');
      await waitFor(() => got.length === 1, 'live 1');
      await proxy.down();
      for (let i = 2; i <= 5; i++) await a.publish(ch, i, `b${i}`);
      await proxy.up();
      await waitFor(() => got.length === 5, 'catch-up of 2..5');
      expect(got).toEqual([1, 2, 3, 4, 5]);
    } finally {
      await Promise.all(open.splice(0).map((b) => b.close()));
      await proxy.close();
    }
  });
});
