// A connected member's presence entry lost from the store (on Redis: expired at its TTL
// after an outage longer than it), its clientId then entered by another user: the
// heartbeat's refresh of the entry is refused by the broker (PresenceTakenError), as an
// enter would be. It was tried again at every heartbeat slot and on every broker recovery,
// for as long as the connection lasted, and the client was never told it was no longer
// present. Now the server lets the entry go and tells the client with the `FORBIDDEN` an
// enter refused as taken gets (PROTOCOL.md §8), on the channel, without a ref.
// Real server on port 0, real sockets; time on a fake clock.
import { describe, expect, it } from 'vitest';
import { memoryBroker, redisBroker, signToken, type Broker, type BrokerStatusChange, type PresenceEntry, type RedisBroker } from '../src/index';
import { FakeClock } from './helpers/fakeClock';
import { useRedisServer } from './helpers/redisServer';
import type { TestClient } from './helpers/wsClient';
import { waitFor } from './helpers/waitFor';
import { REDIS_URL } from './redisTestUtils';

const SECRET = 'presence-taken-secret-presence-taken!';
const HEARTBEAT_MS = 15_000;
// countingBroker() hands every broker, memory or Redis, to closeAfter.
const { available: redisUp, prefix, start, connect, closeAfter } = await useRedisServer();

const kinds: { name: string; make: () => Broker }[] = [
  { name: 'memory broker', make: () => memoryBroker() },
  // On Redis the entry would expire at its TTL; it is removed here instead, to the same effect.
  ...(redisUp ? [{ name: 'redis broker', make: () => redisBroker({ url: REDIS_URL, keyPrefix: prefix, onError: () => undefined }) }] : []),
];

/** `inner` counting refreshes per connection, whose refreshes fail while `down`, reporting its status. */
function countingBroker(inner: Broker = memoryBroker()) {
  closeAfter(inner);
  let listener: ((c: BrokerStatusChange) => void) | undefined;
  const refreshesOf = new Map<string, number>();
  const state = { down: false };
  const broker: Broker = {
    ...inner,
    async presenceRefresh(channel, entry, ttlMs) {
      refreshesOf.set(entry.connId, (refreshesOf.get(entry.connId) ?? 0) + 1);
      if (state.down) throw new Error('broker down');
      return inner.presenceRefresh!(channel, entry, ttlMs);
    },
    // What the server refreshes through on Redis (maxPresenceMembers checked with the write).
    ...('presenceRefreshBounded' in inner && {
      async presenceRefreshBounded(channel: string, entry: PresenceEntry, ttlMs: number, max: number) {
        refreshesOf.set(entry.connId, (refreshesOf.get(entry.connId) ?? 0) + 1);
        if (state.down) throw new Error('broker down');
        return (inner as RedisBroker).presenceRefreshBounded(channel, entry, ttlMs, max);
      },
    }),
    onStatus(l) {
      listener = l;
      return () => void (listener = undefined);
    },
  };
  const set = (down: boolean) => {
    state.down = down;
    listener?.(down ? { available: false, reason: 'test' } : { available: true, downMs: 1000 });
  };
  return { broker, inner, refreshesOf, set };
}

// Valid for a day of the fake clock's time (the server checks `exp` on its clock).
const token = (sub: string) => signToken({ sub, exp: Math.floor(new FakeClock().now() / 1000) + 86_400 }, SECRET);

/** Alice present on `room` as clientId `c1`, her entry then lost from the store, and Bob entered as `c1`. */
async function takenFromAlice(inner: Broker, lose: (aliceConn: string) => Promise<void> | void = () => undefined) {
  const alice = await connect({ clientId: 'c1', token: token('alice') });
  const aliceConn = alice.frames.find((f) => f.type === 'welcome')!.session as string;
  expect(await alice.request({ type: 'presence.enter', channel: 'room', info: { who: 'alice' } })).toMatchObject({ type: 'presence.ok' });
  await lose(aliceConn);
  // What a TTL expiry does on Redis (the memory broker has no TTLs).
  await inner.presenceRemove('room', 'c1', aliceConn);
  const bob = await connect({ clientId: 'c1', token: token('bob') });
  expect(await bob.request({ type: 'presence.enter', channel: 'room', info: { who: 'bob' } })).toMatchObject({ type: 'presence.ok' });
  return { alice, aliceConn, bob };
}

const takenErrors = (c: TestClient) => c.frames.filter((f) => f.type === 'error' && f.code === 'FORBIDDEN' && f.channel === 'room');

describe.each(kinds)('a presence refresh refused because another user took the clientId ($name)', ({ make }) => {
  it('is not tried again, and the client is told FORBIDDEN on the channel, once', async () => {
    const clock = new FakeClock();
    const { broker, inner, refreshesOf } = countingBroker(make());
    await start({ broker, clock, heartbeatMs: HEARTBEAT_MS, authSecret: SECRET });
    const { alice, aliceConn, bob } = await takenFromAlice(inner);
    const watcher = await connect({ token: token('carol') });
    await watcher.subscribe('room');
    await new Promise((r) => setTimeout(r, 50)); // the setup's own events (on Redis they come over pub/sub)
    const eventsBefore = watcher.frames.length;

    clock.advance(HEARTBEAT_MS); // every session's slot comes round once: Alice's refresh is refused
    await waitFor(() => takenErrors(alice).length > 0, 'the FORBIDDEN for the lost entry');
    const [told] = takenErrors(alice);
    expect(told).toMatchObject({ type: 'error', code: 'FORBIDDEN', channel: 'room' });
    expect(told!.message).toMatch(/held on room by another user/);
    expect(told!.ref).toBeUndefined(); // no request to answer: a ref could match a newer one
    expect(told!.retryAfterMs).toBeUndefined();
    expect(refreshesOf.get(aliceConn)).toBe(1);

    // Three more intervals (each client shows it is alive first): nothing more for Alice.
    for (let i = 0; i < 3; i++) {
      alice.send({ type: 'ping' });
      bob.send({ type: 'ping' });
      watcher.send({ type: 'ping' });
      await waitFor(() => alice.frames.filter((f) => f.type === 'pong').length === i + 1, 'pong');
      clock.advance(HEARTBEAT_MS);
    }
    const bobConn = bob.frames.find((f) => f.type === 'welcome')!.session as string;
    await waitFor(() => (refreshesOf.get(bobConn) ?? 0) >= 4, "Bob's refreshes");
    expect(refreshesOf.get(aliceConn)).toBe(1);
    expect(takenErrors(alice)).toHaveLength(1);
    // Bob stays the member: no presence event for anyone.
    expect(watcher.frames.slice(eventsBefore).filter((f) => f.type === 'presence')).toEqual([]);
    expect((await inner.presenceList('room')).map((e) => e.user)).toEqual(['bob']);
    // Alice's enter is refused as before while Bob holds c1.
    expect(await alice.request({ type: 'presence.enter', channel: 'room' })).toMatchObject({ type: 'error', code: 'FORBIDDEN' });
  });
});

describe('a presence refresh refused because another user took the clientId, after an outage', () => {
  it('also when the refresh that finds it taken is the retry after a broker outage', async () => {
    const clock = new FakeClock();
    const { broker, inner, refreshesOf, set } = countingBroker();
    await start({ broker, clock, heartbeatMs: HEARTBEAT_MS, authSecret: SECRET });
    const { alice, aliceConn } = await takenFromAlice(inner, async (aliceConn) => {
      set(true);
      clock.advance(HEARTBEAT_MS); // Alice's refresh fails in the outage; her entry then expires
      await waitFor(() => refreshesOf.get(aliceConn) === 1, 'the failed refresh');
    });
    set(false); // back: the failed refresh is retried at once, and refused as taken
    await waitFor(() => takenErrors(alice).length > 0, 'the FORBIDDEN for the lost entry');
    expect(refreshesOf.get(aliceConn)).toBe(2);
    set(true);
    set(false); // another recovery: not retried
    alice.send({ type: 'ping' });
    await alice.next('pong');
    clock.advance(HEARTBEAT_MS);
    await new Promise((r) => setTimeout(r, 30));
    expect(refreshesOf.get(aliceConn)).toBe(2);
    expect(takenErrors(alice)).toHaveLength(1);
  });
});
