import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { memoryBroker, signToken } from '../src/index';
import { channelKeys } from '../src/broker/redisKeys';
import { SUBSCRIBE_PER_SEC, subscribeBurst } from '../src/session/subscribeRate';
import { FakeClock } from './helpers/fakeClock';
import { useRedisServer } from './helpers/redisServer';
import { waitFor } from './helpers/waitFor';
import { REDIS_URL } from './redisTestUtils';

/**
 * One user reaching into another's messages, presence or server share (security review J:
 * hostile clients on loopback). Each test not marked "keeps" failed on the code as
 * reviewed; those marked "keeps" guard what the fixes must not break (an open server, one
 * user on several connections, a reconnect).
 */

const SECRET = 'review-j-secret';
const fixture = await useRedisServer();
const { available, prefix, start, connect, openBroker } = fixture;

const tokenFor = (sub: string, claims: Record<string, unknown> = {}) => signToken({ sub, ...claims }, SECRET);

async function httpPublish(url: string, sub: string, body: object): Promise<Record<string, unknown>> {
  const res = await fetch(`${url.replace(/^ws/, 'http')}/v1/publish`, {
    method: 'POST',
    headers: { authorization: `Bearer ${tokenFor(sub)}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return (await res.json()) as Record<string, unknown>;
}

describe('publish ids are scoped to the publisher: another user cannot pre-empt them', () => {
  it("a user's publish is not acked as a duplicate of another user's message with the id it predicted (memory broker)", async () => {
    await start({ port: 0, authSecret: SECRET });
    const alice = await connect({ token: tokenFor('alice'), clientId: 'c_alice' });
    const mallory = await connect({ token: tokenFor('mallory'), clientId: 'c_mallory' });
    const bob = await connect({ token: tokenFor('bob'), clientId: 'c_bob' });
    await mallory.subscribe('room:1');
    await bob.subscribe('room:1');
    // The reference client's ids are clientId-nonce-counter, and every msg frame carries its
    // id: one message is enough to predict the sender's next ids.
    expect(await alice.publish('room:1', { text: 'hello' }, 'c_alice-k3j9-1')).toMatchObject({ type: 'ack', offset: 1 });
    const seen = await mallory.next('msg');
    const predicted = String(seen.id).replace(/-1$/, '-2');
    expect(await mallory.publish('room:1', { text: 'forged' }, predicted)).toMatchObject({ type: 'ack', offset: 2 });

    const ack = await alice.publish('room:1', { text: 'pay 100 to carol' }, predicted);
    // As reviewed: {offset: 2, duplicate: true}; the reference client resolves the publish,
    // and no subscriber ever sees Alice's message (silent loss).
    expect(ack, JSON.stringify(ack)).toMatchObject({ type: 'ack', offset: 3 });
    expect(ack.duplicate).toBeUndefined();
    await waitFor(() => bob.msgs('room:1').length === 3, "bob sees alice's message");
    expect(bob.msgs('room:1').map((m) => m.data)).toEqual([{ text: 'hello' }, { text: 'forged' }, { text: 'pay 100 to carol' }]);
  });

  it('HTTP publish: a backend order id another user published first is still stored', async () => {
    const s = await start({ port: 0, authSecret: SECRET });
    expect(await httpPublish(s.url, 'mallory', { channel: 'orders', data: 'forged', id: 'order-992' })).toMatchObject({ offset: 1 });
    const r = await httpPublish(s.url, 'backend', { channel: 'orders', data: 'real', id: 'order-992' });
    expect(r, JSON.stringify(r)).toEqual({ offset: 2, epoch: expect.any(String) });
  });

  it.skipIf(!available)('Redis broker: the same', async () => {
    const broker = openBroker();
    await start({ port: 0, authSecret: SECRET, broker });
    const alice = await connect({ token: tokenFor('alice') });
    const mallory = await connect({ token: tokenFor('mallory') });
    expect(await mallory.publish('room:1', 'forged', 'c_alice-n-2')).toMatchObject({ offset: 1 });
    const ack = await alice.publish('room:1', 'real', 'c_alice-n-2');
    expect(ack, JSON.stringify(ack)).toMatchObject({ type: 'ack', offset: 2 });
    expect(ack.duplicate).toBeUndefined();
  });

  it('keeps: the same user re-sending its id from another connection is acked as the duplicate it is', async () => {
    await start({ port: 0, authSecret: SECRET });
    const first = await connect({ token: tokenFor('alice') });
    const again = await connect({ token: tokenFor('alice') });
    expect(await first.publish('room:1', 1, 'x-1')).toMatchObject({ offset: 1 });
    expect(await again.publish('room:1', 1, 'x-1')).toMatchObject({ offset: 1, duplicate: true });
  });

  it('keeps: an open server has no publisher to scope by: an id is the channel\'s, as before', async () => {
    await start({ port: 0 });
    const a = await connect();
    const b = await connect();
    expect(await a.publish('room:1', 1, 'x-1')).toMatchObject({ offset: 1 });
    expect(await b.publish('room:1', 2, 'x-1')).toMatchObject({ offset: 1, duplicate: true });
  });

  it.skipIf(!available)('Redis broker: a publisher\'s ids have keys of their own; an open server\'s keep their name, so its re-sends dedupe across a rolling upgrade', async () => {
    const broker = openBroker();
    const k = channelKeys(prefix, 'keys');
    expect((await broker.publish('keys', 'anon', 'x-1')).offset).toBe(1);
    expect((await broker.publish('keys', 'alice', 'x-1', 'alice')).offset).toBe(2);
    expect(await broker.publish('keys', 'again', 'x-1', 'alice')).toMatchObject({ offset: 2, duplicate: true });
    // A `sub` that looks like an id prefix cannot reach an unscoped key, nor the reverse.
    expect((await broker.publish('keys', 'other', '"alice","x-1"]', 'x')).duplicate).toBe(false);
    const raw = new Redis(REDIS_URL);
    try {
      expect(await raw.exists(`${k.dedupe}x-1`, `${k.publisherDedupe}["alice","x-1"]`)).toBe(2);
    } finally {
      raw.disconnect();
    }
  });

  it.skipIf(!available)('Redis broker: the same user re-sending is still a duplicate', async () => {
    const broker = openBroker();
    await start({ port: 0, authSecret: SECRET, broker });
    const first = await connect({ token: tokenFor('alice') });
    const again = await connect({ token: tokenFor('alice') });
    expect(await first.publish('room:dup', 1, 'x-1')).toMatchObject({ offset: 1 });
    expect(await again.publish('room:dup', 1, 'x-1')).toMatchObject({ offset: 1, duplicate: true });
  });
});

describe("the memory broker's dedupe window is each publisher's: another user cannot flush it", () => {
  it("a user publishing more than the window does not evict another user's ids: that user's re-send stays a duplicate", async () => {
    const b = memoryBroker({ dedupeWindow: 3 });
    expect(await b.publish('room', 'mine', 'a-1', 'alice')).toMatchObject({ offset: 1 });
    for (let i = 1; i <= 10; i++) await b.publish('room', 'noise', `m-${i}`, 'mallory');
    // As reviewed: {offset: 12, duplicate: false}, Alice's message stored twice.
    expect(await b.publish('room', 'mine', 'a-1', 'alice')).toEqual({ offset: 1, epoch: expect.any(String), duplicate: true });
    // Mallory's own window is still bounded: only her newest 3 are held.
    expect((await b.publish('room', 'noise', 'm-1', 'mallory')).duplicate).toBe(false);
    expect(await b.publish('room', 'noise', 'm-10', 'mallory')).toMatchObject({ duplicate: true });
    expect(b.dedupeIdCount()).toBe(1 + 3);
  });

  it('keeps: publishers without a user share one window per channel, as before', async () => {
    const b = memoryBroker({ dedupeWindow: 2 });
    await b.publish('room', 1, 'x-1');
    await b.publish('room', 2, 'x-2');
    await b.publish('room', 3, 'x-3');
    expect((await b.publish('room', 1, 'x-1')).duplicate).toBe(false);
  });

  it('keeps memory bounded: the ids of many users are forgotten at their TTL, and the queue with them', async () => {
    const clock = new FakeClock();
    const b = memoryBroker({ dedupeTtlMs: 1000, clock });
    for (let u = 0; u < 2000; u++) await b.publish('room', u, `x-${u}`, `user-${u}`);
    expect(b.dedupeIdCount()).toBe(2000);
    clock.advance(1000);
    await b.publish('room', 'after', 'x-1', 'late');
    expect(b.dedupeIdCount()).toBe(1);
    expect(b.dedupeQueueLength()).toBeLessThanOrEqual(2 * 1 + 1024);
  });
});

describe("presence members are another user's to change only when they are that user", () => {
  it("a user reusing another's clientId does not take over that member (its info, its leave)", async () => {
    await start({ port: 0, authSecret: SECRET, presenceGraceMs: 50 });
    const watcher = await connect({ token: tokenFor('w'), clientId: 'w' });
    await watcher.subscribe('room:1');
    const alice = await connect({ token: tokenFor('alice'), clientId: 'c_alice' });
    expect(await alice.request({ type: 'presence.enter', channel: 'room:1', info: { name: 'Alice' } })).toMatchObject({ type: 'presence.ok' });
    // clientIds are public: every presence event and every msg id carries them.
    const mallory = await connect({ token: tokenFor('mallory'), clientId: 'c_alice' });
    const refused = await mallory.request({ type: 'presence.enter', channel: 'room:1', info: { name: 'Alice', status: 'fired' } });
    // Refused for good: no retryAfterMs, so a client does not try again in a loop.
    expect(refused).toMatchObject({ type: 'error', code: 'FORBIDDEN', channel: 'room:1' });
    expect(refused.retryAfterMs).toBeUndefined();
    // As reviewed: an `update` of member c_alice, its user now "mallory", its info Mallory's.
    await new Promise((r) => setTimeout(r, 50));
    const aliceEvents = watcher.frames.filter((f) => f.type === 'presence' && f.member.user === 'alice');
    expect(watcher.frames.filter((f) => f.type === 'presence' && f.event === 'update'), 'no update of alice').toEqual([]);
    expect(aliceEvents.map((f) => f.event)).toEqual(['join']);

    // Alice leaves: watchers must see her leave, whatever Mallory does.
    expect(await alice.request({ type: 'presence.leave', channel: 'room:1' })).toMatchObject({ type: 'presence.ok' });
    await waitFor(() => watcher.frames.some((f) => f.type === 'presence' && f.event === 'leave'), "alice's leave", 1000);
    const late = await connect({ token: tokenFor('late') });
    const sub = await late.subscribe('room:1');
    expect(sub.presence.filter((m: { user?: string }) => m.user === 'alice')).toEqual([]);
  });

  it.skipIf(!available)('Redis broker: the same (the presence script refuses it), and a user without a `sub` cannot take a member that has one', async () => {
    const broker = openBroker();
    await start({ port: 0, authSecret: SECRET, broker });
    const watcher = await connect({ token: tokenFor('w'), clientId: 'w' });
    await watcher.subscribe('room:r');
    const alice = await connect({ token: tokenFor('alice'), clientId: 'c_alice' });
    expect(await alice.request({ type: 'presence.enter', channel: 'room:r', info: { name: 'Alice' } })).toMatchObject({ type: 'presence.ok' });
    const mallory = await connect({ token: tokenFor('mallory'), clientId: 'c_alice' });
    expect(await mallory.request({ type: 'presence.enter', channel: 'room:r', info: { name: 'M' } })).toMatchObject({ type: 'error', code: 'FORBIDDEN' });
    const anon = await connect({ token: signToken({}, SECRET), clientId: 'c_alice' });
    expect(await anon.request({ type: 'presence.enter', channel: 'room:r', info: { name: 'M' } })).toMatchObject({ type: 'error', code: 'FORBIDDEN' });
    // Alice's own second tab may enter under her clientId, with its own info.
    const tab = await connect({ token: tokenFor('alice'), clientId: 'c_alice' });
    expect(await tab.request({ type: 'presence.enter', channel: 'room:r', info: { name: 'Alice 2' } })).toMatchObject({ type: 'presence.ok' });
    await waitFor(() => watcher.frames.some((f) => f.type === 'presence' && f.event === 'update'), "the second tab's update");
    const updates = watcher.frames.filter((f) => f.type === 'presence' && f.event !== 'join');
    expect(updates.map((f) => [f.event, f.member.user, f.member.info])).toEqual([['update', 'alice', { name: 'Alice 2' }]]);
  });

  it.skipIf(!available)('Redis broker: a member with no user is not taken by a user with one, and its holder may enter again', async () => {
    const broker = openBroker();
    const entry = (user: string | undefined, connId: string) => (user === undefined ? { clientId: 'c', connId } : { clientId: 'c', connId, user });
    await broker.presenceSet('room:n', entry(undefined, 'k1'), 30_000);
    await expect(broker.presenceSet('room:n', entry('alice', 'k2'), 30_000)).rejects.toMatchObject({ name: 'PresenceTakenError' });
    await broker.presenceSet('room:n', entry(undefined, 'k3'), 30_000);
    // Its user a prefix of another's: refused too (the JSON text is compared, quote included).
    await broker.presenceSet('room:p', entry('al', 'k1'), 30_000);
    await expect(broker.presenceSet('room:p', entry('alice', 'k2'), 30_000)).rejects.toMatchObject({ name: 'PresenceTakenError' });
    // Once the holder has left, the clientId is free.
    await broker.presenceRemove('room:p', 'c', 'k1');
    await broker.presenceSet('room:p', entry('alice', 'k2'), 30_000);
    expect((await broker.presenceList('room:p')).map((e) => e.user)).toEqual(['alice']);
    expect((await broker.presenceList('room:n')).map((e) => e.connId)).toEqual(['k1', 'k3']);
  });

  it('keeps: an open server has no users: connections sharing a clientId share the member, as before', async () => {
    await start({ port: 0 });
    const a = await connect({ clientId: 'c_shared' });
    const b = await connect({ clientId: 'c_shared' });
    expect(await a.request({ type: 'presence.enter', channel: 'room:1', info: 1 })).toMatchObject({ type: 'presence.ok' });
    expect(await b.request({ type: 'presence.enter', channel: 'room:1', info: 2 })).toMatchObject({ type: 'presence.ok' });
  });

  /** Alice entered on staff:room and dropped: held for her grace period, a watcher subscribed. */
  async function aliceInGrace() {
    await start({ port: 0, authSecret: SECRET, presenceGraceMs: 60_000 });
    const watcher = await connect({ token: tokenFor('w') });
    await watcher.subscribe('staff:room');
    const alice = await connect({ token: tokenFor('alice'), clientId: 'c_alice' });
    await alice.request({ type: 'presence.enter', channel: 'staff:room' });
    alice.close(); // a network blip: Alice is held for her grace period and comes back
    await waitFor(() => fixture.server.stats().connections === 1, "alice's socket closed on the server");
    return watcher;
  }
  /** `token` sends presence.leave on staff:room under Alice's clientId. */
  async function leaveAsAlice(token: string): Promise<void> {
    const other = await connect({ token, clientId: 'c_alice' });
    expect(await other.request({ type: 'presence.leave', channel: 'staff:room' })).toMatchObject({ type: 'presence.ok' });
  }
  const leaves = (watcher: Awaited<ReturnType<typeof aliceInGrace>>) => watcher.frames.filter((f) => f.type === 'presence' && f.event === 'leave');

  it("presence.leave by a user without permission on the channel does not end another member's grace period there", async () => {
    const watcher = await aliceInGrace();
    await leaveAsAlice(tokenFor('mallory', { subscribe: ['public:*'], publish: [] }));
    await new Promise((r) => setTimeout(r, 100));
    // As reviewed: an immediate `leave` of c_alice (user alice), then a `join` when she is back.
    expect(leaves(watcher)).toEqual([]);
  });

  it("presence.leave by another user allowed on the channel does not end the member's grace period either", async () => {
    const watcher = await aliceInGrace();
    await leaveAsAlice(tokenFor('mallory'));
    await new Promise((r) => setTimeout(r, 100));
    expect(leaves(watcher)).toEqual([]);
  });

  it("presence.leave by the same user on a token without the channel does not end that member's grace period there", async () => {
    const watcher = await aliceInGrace();
    // A narrower token of the same subject (a widget, a shared link) has no say on the channel.
    await leaveAsAlice(tokenFor('alice', { subscribe: ['public:*'], publish: [] }));
    await new Promise((r) => setTimeout(r, 100));
    expect(leaves(watcher)).toEqual([]);
  });

  it("keeps: the same user's leave from its new connection ends its old connection's grace at once", async () => {
    const watcher = await aliceInGrace();
    await leaveAsAlice(tokenFor('alice'));
    await waitFor(() => leaves(watcher).length > 0, "alice's leave", 1000);
  });
});

describe('subscribe churn is rate limited per connection (PROTOCOL.md §11)', () => {
  const T0 = 1_800_000_000_000;
  const burst = subscribeBurst(100);

  it('a reconnect subscribing to every channel at once, twice over, is never refused; past the burst a sub is refused with retryAfterMs until a token is back', async () => {
    const clock = new FakeClock(T0);
    await start({ port: 0, clock, heartbeatMs: 3_600_000, maxChannels: 100 });
    const c = await connect();
    // Held still: no token comes back meanwhile.
    const replies = await Promise.all(Array.from({ length: burst }, (_, i) => c.subscribe(`room:${i % 100}`)));
    expect(replies.filter((f) => f.type !== 'subscribed')).toEqual([]);
    // As reviewed: subscribed (no limit at all).
    const refused = await c.subscribe('room:0');
    expect(refused).toMatchObject({ type: 'error', code: 'RATE_LIMITED', channel: 'room:0', retryAfterMs: Math.ceil(1000 / SUBSCRIBE_PER_SEC) });
    clock.advance(refused.retryAfterMs);
    expect(await c.subscribe('room:0')).toMatchObject({ type: 'subscribed' });
  });

  it('a socket that keeps cycling sub/unsub past its refusals is closed 4201, as a publish flood is', async () => {
    const clock = new FakeClock(T0);
    await start({ port: 0, clock, heartbeatMs: 3_600_000 });
    const c = await connect();
    // Bounded: the burst, then the 1,000 refusals of the flood limit, then a few more.
    for (let i = 0; i < burst + 1010; i++) {
      if (c.closed) break;
      c.send({ type: 'sub', ref: c.nextRef(), channel: 'churn' });
      c.send({ type: 'unsub', ref: c.nextRef(), channel: 'churn' });
    }
    expect(await c.waitClosed(5000)).toMatchObject({ code: 4201, reason: 'subscribe flood' });
    expect(c.frames.filter((f) => f.type === 'error' && f.code === 'RATE_LIMITED').length).toBe(1000);
  });
});
