// A presence.enter refused as taken (PROTOCOL.md §8) on one node while the other user's
// member is held in ANOTHER node's grace period, with the Redis broker: that node's timer is
// invisible here, so the refusal was for good and a client that switched user (setToken) on
// a multi-node deployment never appeared under its new user. The holding node now stores the
// hold's end with the entry, and the refusal carries retryAfterMs = the grace left there.
// Bounded against clock skew (never past the whole hold), and against a holding node that
// died with the member in its grace (never past the entry's TTL end, which the re-sent enter
// itself sweeps); held live: for good, as before.
// Two real servers on port 0 sharing one Redis key prefix, real sockets, each node on its own
// fake clock (moved together, or apart for skew).
import { describe, expect, it } from 'vitest';
import { signToken, type LifelineServer, type RedisBroker } from '../src/index';
import { heldElsewhereFor, OVERDUE_MIN_MS } from '../src/presenceTakenHint';
import { channelKeys } from '../src/broker/redisKeys';
import { FakeClock } from './helpers/fakeClock';
import { useRedisServer } from './helpers/redisServer';
import { TestClient, type Frame } from './helpers/wsClient';
import { waitFor } from './helpers/waitFor';

const SECRET = 'presence-taken-grace-nodes-secret';
const GRACE_MS = 5_000;
// Presence TTL at these settings: max(30 s, 3 × heartbeat, 2 × grace) = 45 s after the last refresh.
const HEARTBEAT_MS = 15_000;
const TTL_MS = 45_000;
const T = 1_800_000_000_000;
const token = (sub: string) => signToken({ sub, exp: Math.floor(T / 1000) + 86_400 }, SECRET);
const { available, start, track, openBroker, openRedis, prefix } = await useRedisServer();

let n = 0;
interface Node {
  server: LifelineServer;
  broker: RedisBroker;
  clock: FakeClock;
}

/** A server on its own fake clock (starting `skewMs` after T) and its own Redis broker, on the file's shared prefix. */
async function node(skewMs = 0): Promise<Node> {
  const clock = new FakeClock(T + skewMs);
  const broker = openBroker({ clock, onError: () => undefined });
  const server = await start({ port: 0, authSecret: SECRET, broker, clock, presenceGraceMs: GRACE_MS, heartbeatMs: HEARTBEAT_MS });
  return { server, broker, clock };
}

const join = async (at: Node, sub: string, clientId: string) => track(await TestClient.connect(at.server.url, { token: token(sub), clientId }));
const enter = (c: TestClient, ch: string, info?: unknown): Promise<Frame> => c.request({ type: 'presence.enter', channel: ch, ...(info === undefined ? {} : { info }) });
const events = (w: TestClient, ch: string) => w.frames.filter((f) => f.type === 'presence' && f.channel === ch).map((f) => [f.event, f.member.clientId, f.member.user]);

/**
 * Node 1 and node 2 (node 2's clock `skewMs` off), a watcher on node 2, ada entered as
 * clientId X on node 1 and dropped: her member is in node 1's grace, its end stored in Redis.
 */
async function adaHeldOnNode1(skewMs = 0) {
  const ch = `room:nodes.${++n}`;
  const one = await node();
  const two = await node(skewMs);
  const watcher = await join(two, 'w', 'watcher');
  await watcher.subscribe(ch);
  const ada = await join(one, 'ada', 'X');
  expect(await enter(ada, ch, { name: 'Ada' })).toMatchObject({ type: 'presence.ok' });
  await waitFor(() => events(watcher, ch).length === 1, "ada's join on node 2");
  ada.close();
  await waitFor(() => one.server.stats().presencePending === 1, "ada's member handed to node 1's grace");
  // The hold's end lands in Redis just after: wait for it, so the refusals below are not racing it.
  await waitFor(async () => (await two.broker.presenceHolds(ch, 'X'))?.[0]?.hold !== undefined, 'the hold stored with the entry');
  return { ch, one, two, watcher };
}

describe.skipIf(!available)("presence.enter refused as taken while the holder is in another node's grace (Redis, two nodes)", () => {
  it("is told node 1's grace time left on node 2; entered there once it ends, watchers see bob, not ada", async () => {
    const { ch, one, two, watcher } = await adaHeldOnNode1();
    const both = (ms: number) => {
      one.clock.advance(ms);
      two.clock.advance(ms);
    };
    both(2_000);

    const bob = await join(two, 'bob', 'X');
    expect(await enter(bob, ch, { name: 'Bob' })).toMatchObject({ type: 'error', code: 'FORBIDDEN', channel: ch, retryAfterMs: GRACE_MS - 2_000 });
    both(GRACE_MS - 2_000 - 1); // re-sent early: refused again with what is left; the grace is not shortened
    expect(await enter(bob, ch, { name: 'Bob' })).toMatchObject({ type: 'error', code: 'FORBIDDEN', retryAfterMs: 1 });
    expect(events(watcher, ch)).toEqual([['join', 'X', 'ada']]);

    both(1); // node 1's grace ends: it removes the entry
    await waitFor(() => events(watcher, ch).length === 2, "ada's leave");
    expect(await enter(bob, ch, { name: 'Bob' })).toMatchObject({ type: 'presence.ok' });
    await waitFor(() => events(watcher, ch).length === 3, "bob's join");
    expect(events(watcher, ch)).toEqual([['join', 'X', 'ada'], ['leave', 'X', 'ada'], ['join', 'X', 'bob']]);
    const late = await join(one, 'late', 'late');
    expect((await late.subscribe(ch)).presence).toEqual([{ clientId: 'X', user: 'bob', info: { name: 'Bob' } }]);
  });

  it('keeps: held by a live connection on node 1, the refusal on node 2 is for good (no retryAfterMs)', async () => {
    const ch = `room:nodes.${++n}`;
    const one = await node();
    const two = await node();
    const ada = await join(one, 'ada', 'X');
    expect(await enter(ada, ch)).toMatchObject({ type: 'presence.ok' });
    const refused = await enter(await join(two, 'bob', 'X'), ch);
    expect(refused).toMatchObject({ type: 'error', code: 'FORBIDDEN', channel: ch });
    expect(refused.retryAfterMs).toBeUndefined();
  });

  it("keeps: ada back on node 2 within node 1's grace (live there), bob's enter is refused for good", async () => {
    const { ch, two } = await adaHeldOnNode1();
    const back = await join(two, 'ada', 'X');
    expect(await enter(back, ch, { name: 'Ada' })).toMatchObject({ type: 'presence.ok' });
    const refused = await enter(await join(two, 'bob', 'X'), ch);
    expect(refused).toMatchObject({ type: 'error', code: 'FORBIDDEN' });
    expect(refused.retryAfterMs).toBeUndefined();
  });

  it('node 1 dies with the member in its grace: the hints double once it is overdue, never past the TTL end, where the enter succeeds', async () => {
    const { ch, one, two, watcher } = await adaHeldOnNode1();
    await one.broker.close(); // node 1's link to Redis is gone (and its clock never moves again): nothing removes the entry but its TTL
    const bob = await join(two, 'bob', 'X');
    let pings = 0;
    const refusedAfter = async (ms: number) => {
      // The watcher says it is alive before each step (at most 15 s): 2 heartbeats of silence end it.
      const t = ++pings;
      watcher.send({ type: 'ping', t });
      await watcher.next('pong', (f) => f.t === t);
      two.clock.advance(ms);
      const r = await enter(bob, ch);
      expect(r).toMatchObject({ type: 'error', code: 'FORBIDDEN' });
      return r.retryAfterMs as number;
    };
    expect(await refusedAfter(0)).toBe(GRACE_MS);
    expect(await refusedAfter(GRACE_MS)).toBe(OVERDUE_MIN_MS); // the grace's end: node 1's removal is due
    expect(await refusedAfter(OVERDUE_MIN_MS)).toBe(OVERDUE_MIN_MS);
    expect(await refusedAfter(OVERDUE_MIN_MS)).toBe(2 * OVERDUE_MIN_MS); // overdue 200 ms: wait as long again
    // At T + 20 s: overdue 15 s, told 15 s. At T + 35 s: overdue 30 s, but the TTL ends at T + 45 s: told 10 s + 1 ms.
    expect(await refusedAfter(20_000 - GRACE_MS - 2 * OVERDUE_MIN_MS)).toBe(15_000);
    expect(await refusedAfter(15_000)).toBe(TTL_MS - 35_000 + 1);
    two.clock.advance(TTL_MS - 35_000 + 1);
    expect(await enter(bob, ch, { name: 'Bob' })).toMatchObject({ type: 'presence.ok' });
    await waitFor(() => events(watcher, ch).length === 3, "ada's leave (her TTL) and bob's join");
    expect(events(watcher, ch)).toEqual([['join', 'X', 'ada'], ['leave', 'X', 'ada'], ['join', 'X', 'bob']]);
  });

  it("node 2's clock a minute behind node 1's: the hint is not stretched past the whole hold; entered once it ends", async () => {
    const { ch, one, two } = await adaHeldOnNode1(-60_000);
    const bob = await join(two, 'bob', 'X');
    // Node 1's end read on node 2's clock is 65 s away; the hold itself lasts 5 s.
    expect(await enter(bob, ch)).toMatchObject({ type: 'error', code: 'FORBIDDEN', retryAfterMs: GRACE_MS });
    one.clock.advance(GRACE_MS);
    two.clock.advance(GRACE_MS);
    await waitFor(async () => (await two.broker.presenceHolds(ch, 'X'))?.length === 0, "node 1's removal");
    expect(await enter(bob, ch)).toMatchObject({ type: 'presence.ok' });
  });

  it("node 2's clock a second ahead of node 1's: told 1 s early, then refused a few times, doubling, until node 1 removes the entry", async () => {
    const { ch, one, two } = await adaHeldOnNode1(1_000);
    const bob = await join(two, 'bob', 'X');
    let r = await enter(bob, ch);
    expect(r).toMatchObject({ type: 'error', code: 'FORBIDDEN', retryAfterMs: GRACE_MS - 1_000 });
    const hints: number[] = [];
    let waited = 0;
    while (r.type === 'error') {
      expect(r.code).toBe('FORBIDDEN');
      const ms = r.retryAfterMs as number;
      hints.push(ms);
      waited += ms;
      one.clock.advance(ms);
      two.clock.advance(ms);
      if (one.server.stats().presencePending === 0) await waitFor(async () => (await two.broker.presenceHolds(ch, 'X'))?.length === 0, "node 1's removal");
      r = await enter(bob, ch);
    }
    expect(r).toMatchObject({ type: 'presence.ok' });
    expect(hints).toEqual([4_000, 100, 100, 200, 400, 800]); // node 1's grace ended at +5 000 ms; waited 5 600 ms
    expect(waited).toBeLessThan(GRACE_MS + 2 * 1_000);
  });

  it('stores the hold with the entry and drops it with the entry; an entry of a node from before holds makes the answer unknown', async () => {
    const ch = `room:nodes.${++n}`;
    const b = openBroker({ onError: () => undefined });
    await b.presenceSet(ch, { clientId: 'X', connId: 'c1', user: 'ada' }, 30_000);
    await b.presenceSet(ch, { clientId: 'X', connId: 'c2', user: 'ada' }, 30_000);
    await b.presenceHold(ch, 'X', 'c1', 5_000);
    await b.presenceHold(ch, 'X', 'gone', 5_000); // no such entry: nothing stored
    const holds = await b.presenceHolds(ch, 'X');
    expect(holds?.map((h) => [h.connId, h.hold?.totalMs])).toEqual([['c1', 5_000], ['c2', undefined]]);
    expect(holds?.[0]?.hold?.leftMs).toBeGreaterThan(4_000);
    // A refresh (a drain's hold) keeps it; the list of members does not show it.
    await b.presenceRefresh(ch, { clientId: 'X', connId: 'c1', user: 'ada' }, 60_000);
    expect((await b.presenceHolds(ch, 'X'))?.[0]?.hold?.totalMs).toBe(5_000);
    expect(await b.presenceList(ch)).toEqual([{ clientId: 'X', connId: 'c1', user: 'ada' }, { clientId: 'X', connId: 'c2', user: 'ada' }]);
    await b.presenceRemove(ch, 'X', 'c1');
    expect(await b.presenceHolds(ch, 'X')).toEqual([{ connId: 'c2', ttlLeftMs: expect.any(Number) }]);
    // c2 as a node from before the entries list stored it: counted, not listed.
    await openRedis().hdel(channelKeys(prefix, ch).presenceEntries, 'X');
    expect(await b.presenceHolds(ch, 'X')).toBeUndefined();
    await expect(b.presenceHold(ch, 'X', 'c2', 0)).rejects.toThrow(RangeError);
    await expect(b.presenceHold(ch, 'X', 'c2', Infinity)).rejects.toThrow(RangeError);
  });
});

describe("the hint for an entry in another node's grace (heldElsewhereFor)", () => {
  it('is the hold left, at most the whole hold and the TTL end + 1 ms; overdue: as long again, at least 100 ms; none when not held', () => {
    expect(heldElsewhereFor({ connId: 'c', ttlLeftMs: 40_000 })).toBeUndefined();
    expect(heldElsewhereFor({ connId: 'c', hold: { leftMs: 3_000, totalMs: 5_000 }, ttlLeftMs: 40_000 })).toBe(3_000);
    expect(heldElsewhereFor({ connId: 'c', hold: { leftMs: 65_000, totalMs: 5_000 }, ttlLeftMs: 100_000 })).toBe(5_000);
    expect(heldElsewhereFor({ connId: 'c', hold: { leftMs: 3_000, totalMs: 5_000 }, ttlLeftMs: 1_000 })).toBe(1_001);
    expect(heldElsewhereFor({ connId: 'c', hold: { leftMs: 0, totalMs: 5_000 }, ttlLeftMs: 40_000 })).toBe(100);
    expect(heldElsewhereFor({ connId: 'c', hold: { leftMs: -7_000, totalMs: 5_000 }, ttlLeftMs: 40_000 })).toBe(7_000);
    expect(heldElsewhereFor({ connId: 'c', hold: { leftMs: -7_000, totalMs: 5_000 }, ttlLeftMs: 0 })).toBe(1);
  });
});
