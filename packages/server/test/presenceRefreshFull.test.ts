// maxPresenceMembers and the refresh path: a connected member's entry lost from the store (on
// Redis: expired at its TTL, an outage longer than it), the channel then filled by others. The
// heartbeat's refresh stores a lost entry again, as an enter, and skipped the bound the enter
// script holds: the member came back as one more than maxPresenceMembers. Now the refresh is
// bounded too (on Redis in the same script, only when the entry is gone) and, refused, the
// server lets the entry go and tells the client the `PRESENCE_FULL` a new member's enter gets,
// on the channel, without a ref, once. Real server on port 0, real sockets; time on fake clocks.
import { describe, expect, it } from 'vitest';
import { memoryBroker, redisBroker, type Broker } from '../src/index';
import { FakeClock } from './helpers/fakeClock';
import { useRedisServer } from './helpers/redisServer';
import type { TestClient } from './helpers/wsClient';
import { waitFor } from './helpers/waitFor';
import { REDIS_URL } from './redisTestUtils';

const HEARTBEAT_MS = 15_000;
const MAX = 2;
const { available: redisUp, prefix, start, connect, closeAfter } = await useRedisServer();

type Kind = {
  name: string;
  /** A broker on its own clock (the store's expiry), and how `aliceConn`'s entry is lost. */
  make: () => { broker: Broker; lose: (connId: string) => Promise<void> };
};

const kinds: Kind[] = [
  {
    name: 'memory broker',
    make: () => {
      const broker = closeAfter(memoryBroker());
      // No TTLs on the memory broker: a removal is the same loss.
      return { broker, lose: (connId) => broker.presenceRemove('room', 'a', connId) };
    },
  },
  ...(redisUp
    ? [{
        name: 'redis broker',
        make: () => {
          // The store's clock, apart from the server's: the entry really expires at its TTL
          // while the server's heartbeat does not run (an outage longer than the TTL does that).
          const storeClock = new FakeClock();
          const broker = closeAfter(redisBroker({ url: REDIS_URL, keyPrefix: `${prefix}full:`, clock: storeClock, onError: () => undefined }));
          const lose = async (): Promise<void> => {
            storeClock.advance(10 * 60_000);
            // Swept at the next presence call: the entry is gone.
            expect((await broker.presenceList('room')).map((e) => e.clientId)).toEqual([]);
          };
          return { broker, lose };
        },
      } satisfies Kind]
    : []),
];

/**
 * `broker` counting, per clientId, the calls a refresh makes: the bounded or plain refresh,
 * or the memory broker's member count (where a refresh refused there stops; an enter counts
 * too); `settled` holds each refresh's outcome.
 */
function countRefreshes(broker: Broker) {
  const refreshes = new Map<string, number>();
  const settled = new Map<string, Promise<unknown>[]>();
  const counted = new Proxy(broker, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== 'function') return value;
      if (key !== 'presenceRefresh' && key !== 'presenceRefreshBounded' && key !== 'presenceMembers') return value.bind(target);
      return (channel: string, of: string | { clientId: string }, ...rest: unknown[]) => {
        const id = typeof of === 'string' ? of : of.clientId;
        refreshes.set(id, (refreshes.get(id) ?? 0) + 1);
        const out = (value as (...a: unknown[]) => unknown).call(target, channel, of, ...rest);
        if (out instanceof Promise) settled.set(id, [...(settled.get(id) ?? []), out.catch(() => undefined)]);
        return out;
      };
    },
  });
  return { counted, refreshes, settled };
}

const fullErrors = (c: TestClient) => c.frames.filter((f) => f.type === 'error' && f.code === 'PRESENCE_FULL' && f.channel === 'room');

describe.each(kinds)('a presence refresh of a lost entry on a full channel ($name)', ({ make }) => {
  it('is refused: not stored past maxPresenceMembers, the client told PRESENCE_FULL once, not refreshed again', async () => {
    const clock = new FakeClock();
    const { broker, lose } = make();
    const { counted, refreshes } = countRefreshes(broker);
    await start({ broker: counted, clock, heartbeatMs: HEARTBEAT_MS, maxPresenceMembers: MAX, presenceGraceMs: 0 });

    const alice = await connect({ clientId: 'a' });
    const aliceConn = alice.frames.find((f) => f.type === 'welcome')!.session as string;
    expect(await alice.request({ type: 'presence.enter', channel: 'room', info: { who: 'alice' } })).toMatchObject({ type: 'presence.ok' });
    await lose(aliceConn);
    // The channel fills up meanwhile.
    const others: TestClient[] = [];
    for (const id of ['b', 'c']) {
      const c = await connect({ clientId: id });
      expect(await c.request({ type: 'presence.enter', channel: 'room' })).toMatchObject({ type: 'presence.ok' });
      others.push(c);
    }

    const before = refreshes.get('a') ?? 0;
    const bBefore = refreshes.get('b') ?? 0;
    clock.advance(HEARTBEAT_MS); // every session's slot comes round once: Alice's refresh is refused
    await waitFor(() => fullErrors(alice).length > 0, 'the PRESENCE_FULL for the lost entry');
    const [told] = fullErrors(alice);
    expect(told!.message).toMatch(/room has 2 members.*maxPresenceMembers 2.*no longer present/);
    expect(told!.ref).toBeUndefined(); // no request to answer: a ref could match a newer one
    expect(told!.retryAfterMs).toBeUndefined(); // final, as an enter refused PRESENCE_FULL
    expect(refreshes.get('a')).toBe(before + 1);
    // Never over the bound: Alice is not stored again.
    expect((await broker.presenceList('room')).map((e) => e.clientId).sort()).toEqual(['b', 'c']);

    // Three more intervals (each client shows it is alive first): Alice's entry is not refreshed again.
    for (let i = 0; i < 3; i++) {
      for (const c of [alice, ...others]) c.send({ type: 'ping' });
      await waitFor(() => alice.frames.filter((f) => f.type === 'pong').length === i + 1, 'pong');
      clock.advance(HEARTBEAT_MS);
    }
    await waitFor(() => (refreshes.get('b') ?? 0) >= bBefore + 4, "the other members' refreshes");
    expect(refreshes.get('a')).toBe(before + 1);
    expect(fullErrors(alice)).toHaveLength(1);
    expect((await broker.presenceList('room')).map((e) => e.clientId).sort()).toEqual(['b', 'c']);

    // Room again after a leave: Alice's own enter is taken then.
    expect(await others[0]!.request({ type: 'presence.leave', channel: 'room' })).toMatchObject({ type: 'presence.ok' });
    expect(await alice.request({ type: 'presence.enter', channel: 'room' })).toMatchObject({ type: 'presence.ok' });
  });

  it("a drain's hold (the entry stored again for the reconnect window) is bounded the same way", async () => {
    const clock = new FakeClock();
    const { broker, lose } = make();
    const { counted, settled } = countRefreshes(broker);
    const server = await start({ broker: counted, clock, heartbeatMs: HEARTBEAT_MS, maxPresenceMembers: MAX, presenceGraceMs: 1000 });
    const alice = await connect({ clientId: 'a' });
    expect(await alice.request({ type: 'presence.enter', channel: 'room' })).toMatchObject({ type: 'presence.ok' });
    await lose(alice.frames.find((f) => f.type === 'welcome')!.session as string);
    for (const id of ['b', 'c']) {
      const c = await connect({ clientId: id });
      expect(await c.request({ type: 'presence.enter', channel: 'room' })).toMatchObject({ type: 'presence.ok' });
    }
    const before = settled.get('a')?.length ?? 0;
    // Not awaited: it waits for the grace on the fake clock; the fixture's close ends it.
    void server.drain({ timeoutMs: 60_000 }).catch(() => undefined);
    await alice.next('drain');
    // The hold's refresh of Alice's lost entry answered (on the memory broker: refused by the count alone).
    await Promise.all(settled.get('a')?.slice(before) ?? []);
    expect((await broker.presenceList('room')).map((e) => e.clientId).sort()).toEqual(['b', 'c']);
  });

  it('on a channel with room, a lost entry is stored again by its refresh, as before', async () => {
    const clock = new FakeClock();
    const { broker, lose } = make();
    await start({ broker, clock, heartbeatMs: HEARTBEAT_MS, maxPresenceMembers: MAX, presenceGraceMs: 0 });
    const alice = await connect({ clientId: 'a' });
    expect(await alice.request({ type: 'presence.enter', channel: 'room' })).toMatchObject({ type: 'presence.ok' });
    await lose(alice.frames.find((f) => f.type === 'welcome')!.session as string);
    const b = await connect({ clientId: 'b' });
    expect(await b.request({ type: 'presence.enter', channel: 'room' })).toMatchObject({ type: 'presence.ok' });
    clock.advance(HEARTBEAT_MS); // one member (b), a bound of 2: Alice's entry is stored again
    let listed: string[] = [];
    for (let i = 0; i < 400 && listed.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 10));
      listed = (await broker.presenceList('room')).map((e) => e.clientId).sort();
    }
    expect(listed).toEqual(['a', 'b']);
    expect(fullErrors(alice)).toEqual([]);
  });
});
