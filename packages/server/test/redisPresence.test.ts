// Presence of the Redis broker across two nodes; TTL expiry on an injected fake clock.
import { afterEach, describe, expect, it } from 'vitest';
import { redisBroker, type RedisBroker } from '../src/broker/redisBroker';
import type { PresenceChange } from '../src/broker/types';
import { fakeClock, REDIS_URL, redisSuite, waitFor } from './redisTestUtils';

const { available, prefix } = await redisSuite();
const open: RedisBroker[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close()));
});

function twoNodes() {
  const clock = fakeClock();
  const mk = () => redisBroker({ url: REDIS_URL, keyPrefix: prefix, clock, onError: () => undefined });
  const a = mk();
  const b = mk();
  open.push(a, b);
  return { a, b, clock };
}

let n = 0;
const chan = () => `presence.${++n}`;
const summary = (cs: PresenceChange[]) => cs.map((c) => `${c.event}:${c.member.clientId}:${JSON.stringify(c.member.info ?? null)}`);

describe.skipIf(!available)('redisBroker presence (real Redis, fake clock)', () => {
  it('announces join, update and leave on another node, keyed by clientId', async () => {
    const { a, b } = twoNodes();
    const ch = chan();
    const seen: PresenceChange[] = [];
    await b.onPresence(ch, (c) => seen.push(c));
    await a.presenceSet(ch, { clientId: 'ada', connId: 'c1', info: { name: 'Ada' } }, 10_000);
    await a.presenceSet(ch, { clientId: 'ada', connId: 'c1', info: { name: 'Ada' } }, 10_000); // refresh: no event
    await a.presenceSet(ch, { clientId: 'ada', connId: 'c2', info: { name: 'Ada' } }, 10_000); // 2nd tab: no event
    await a.presenceSet(ch, { clientId: 'ada', connId: 'c2', info: { name: 'Ada L.' } }, 10_000); // update
    await a.presenceRemove(ch, 'ada', 'c1'); // one tab left: no event
    await a.presenceRemove(ch, 'ada', 'c2'); // last entry: leave
    await waitFor(() => seen.length >= 3, 'three presence events');
    expect(summary(seen)).toEqual(['join:ada:{"name":"Ada"}', 'update:ada:{"name":"Ada L."}', 'leave:ada:{"name":"Ada L."}']);
    expect(await b.presenceList(ch)).toEqual([]);
  });

  it('lists entries from every node, one per connection', async () => {
    const { a, b } = twoNodes();
    const ch = chan();
    await a.presenceSet(ch, { clientId: 'ada', connId: 'a1', user: 'u1' }, 10_000);
    await b.presenceSet(ch, { clientId: 'bob', connId: 'b1', info: 7 }, 10_000);
    await b.presenceSet(ch, { clientId: 'ada', connId: 'b2', user: 'u1' }, 10_000);
    const list = await a.presenceList(ch);
    const byConn = (x: { connId: string }, y: { connId: string }) => x.connId.localeCompare(y.connId);
    expect(list.sort(byConn)).toEqual([
      { clientId: 'ada', user: 'u1', connId: 'a1' },
      { clientId: 'bob', info: 7, connId: 'b1' },
      { clientId: 'ada', user: 'u1', connId: 'b2' },
    ]);
  });

  it("expires a crashed node's members after their TTL and announces leave on the surviving node", async () => {
    const { a, b, clock } = twoNodes();
    const ch = chan();
    const seen: PresenceChange[] = [];
    await b.onPresence(ch, (c) => seen.push(c));
    await a.presenceSet(ch, { clientId: 'crashy', connId: 'x', info: 1 }, 5_000);
    await b.presenceSet(ch, { clientId: 'steady', connId: 'y' }, 60_000);
    await a.close(); // node A "crashes": nothing removes its entry
    await waitFor(() => seen.length === 2, 'two joins');

    clock.advance(4_999);
    await b.sweepPresence();
    expect((await b.presenceList(ch)).map((e) => e.clientId).sort()).toEqual(['crashy', 'steady']);

    clock.advance(2);
    await b.sweepPresence();
    await waitFor(() => seen.length === 3, 'leave of the expired member');
    expect(summary(seen).at(-1)).toBe('leave:crashy:1');
    expect((await b.presenceList(ch)).map((e) => e.clientId)).toEqual(['steady']);
  });

  it('sweeps on its own timer every presenceSweepMs while a channel is watched', async () => {
    const { a, b, clock } = twoNodes();
    const ch = chan();
    const seen: PresenceChange[] = [];
    await b.onPresence(ch, (c) => seen.push(c));
    await a.presenceSet(ch, { clientId: 'gone', connId: 'g' }, 1_000);
    await waitFor(() => seen.length === 1, 'join');
    clock.advance(2_000); // default presenceSweepMs; the timer sweeps with now = +2 s
    await waitFor(() => seen.length === 2, 'leave from the periodic sweep');
    expect(seen[1]?.event).toBe('leave');
  });

  it('a heartbeat (presenceSet again) keeps an entry alive past its first TTL', async () => {
    const { a, clock } = twoNodes();
    const ch = chan();
    await a.presenceSet(ch, { clientId: 'beat', connId: 'h' }, 1_000);
    clock.advance(800);
    await a.presenceSet(ch, { clientId: 'beat', connId: 'h' }, 1_000);
    clock.advance(800);
    expect((await a.presenceList(ch)).map((e) => e.clientId)).toEqual(['beat']);
    clock.advance(300);
    expect(await a.presenceList(ch)).toEqual([]);
  });

  it('refreshing both entries of a client on two connections with different info announces nothing and keeps them alive', async () => {
    const { a, b, clock } = twoNodes();
    const ch = chan();
    const seen: PresenceChange[] = [];
    await b.onPresence(ch, (c) => seen.push(c));
    await a.presenceSet(ch, { clientId: 'ada', connId: 'tab1', info: { tab: 1 } }, 1_000);
    await b.presenceSet(ch, { clientId: 'ada', connId: 'tab2', info: { tab: 2 } }, 1_000);
    for (let i = 0; i < 5; i++) {
      clock.advance(800);
      await a.presenceRefresh(ch, { clientId: 'ada', connId: 'tab1', info: { tab: 1 } }, 1_000);
      await b.presenceRefresh(ch, { clientId: 'ada', connId: 'tab2', info: { tab: 2 } }, 1_000);
    }
    // Events of one publisher arrive in order: once the marker's join is in, nothing else is coming.
    await a.presenceSet(ch, { clientId: 'marker', connId: 'm' }, 1_000);
    await waitFor(() => seen.some((c) => c.member.clientId === 'marker'), 'the marker join');
    expect(summary(seen)).toEqual(['join:ada:{"tab":1}', 'update:ada:{"tab":2}', 'join:marker:null']);
    // Alive 4 s past a 1 s TTL, tab2 still the newest (last of its client).
    expect((await a.presenceList(ch)).filter((e) => e.clientId === 'ada')).toEqual([
      { clientId: 'ada', connId: 'tab1', info: { tab: 1 } },
      { clientId: 'ada', connId: 'tab2', info: { tab: 2 } },
    ]);
  });

  it("removing a client's newest entry announces update with the remaining newest entry's info; the list agrees", async () => {
    const { a, b } = twoNodes();
    const ch = chan();
    const seen: PresenceChange[] = [];
    await b.onPresence(ch, (c) => seen.push(c));
    await a.presenceSet(ch, { clientId: 'ada', connId: 'tab1', info: { tab: 1 } }, 10_000);
    await a.presenceSet(ch, { clientId: 'ada', connId: 'tab2', info: { tab: 2 } }, 10_000);
    await b.presenceSet(ch, { clientId: 'ada', connId: 'tab3', info: { tab: 3 } }, 10_000);
    await a.presenceRemove(ch, 'ada', 'tab2'); // not the newest: no event
    await b.presenceRemove(ch, 'ada', 'tab3');
    await a.presenceSet(ch, { clientId: 'marker', connId: 'm' }, 10_000);
    await waitFor(() => seen.some((c) => c.member.clientId === 'marker'), 'the marker join');
    expect(summary(seen)).toEqual([
      'join:ada:{"tab":1}', 'update:ada:{"tab":2}', 'update:ada:{"tab":3}', 'update:ada:{"tab":1}', 'join:marker:null',
    ]);
    expect((await b.presenceList(ch)).filter((e) => e.clientId === 'ada')).toEqual([{ clientId: 'ada', connId: 'tab1', info: { tab: 1 } }]);
  });

  it("lists a client's entries oldest enter first, each with its own info, whatever their expiry", async () => {
    const { a } = twoNodes();
    const ch = chan();
    await a.presenceSet(ch, { clientId: 'ada', connId: 'tab1', info: { tab: 1 } }, 10_000);
    await a.presenceSet(ch, { clientId: 'ada', connId: 'tab2', info: { tab: 2 } }, 60_000);
    await a.presenceSet(ch, { clientId: 'ada', connId: 'tab1', info: { tab: 1 } }, 10_000); // enters again: newest
    expect(await a.presenceList(ch)).toEqual([
      { clientId: 'ada', connId: 'tab2', info: { tab: 2 } },
      { clientId: 'ada', connId: 'tab1', info: { tab: 1 } },
    ]);
  });

  it("a client's newest entry expiring announces update with the remaining entry's info", async () => {
    const { a, b, clock } = twoNodes();
    const ch = chan();
    const seen: PresenceChange[] = [];
    await b.onPresence(ch, (c) => seen.push(c));
    await b.presenceSet(ch, { clientId: 'ada', connId: 'tab1', info: { tab: 1 } }, 60_000);
    await a.presenceSet(ch, { clientId: 'ada', connId: 'tab2', info: { tab: 2 } }, 5_000);
    await a.close(); // its node crashes: nothing removes tab2
    clock.advance(5_001);
    await b.sweepPresence();
    await b.presenceSet(ch, { clientId: 'marker', connId: 'm' }, 60_000);
    await waitFor(() => seen.some((c) => c.member.clientId === 'marker'), 'the marker join');
    expect(summary(seen)).toEqual(['join:ada:{"tab":1}', 'update:ada:{"tab":2}', 'update:ada:{"tab":1}', 'join:marker:null']);
    expect((await b.presenceList(ch)).filter((e) => e.clientId === 'ada')).toEqual([{ clientId: 'ada', connId: 'tab1', info: { tab: 1 } }]);
  });

  it('concurrent onPresence calls on one channel both receive events', async () => {
    const { a, b } = twoNodes();
    const ch = chan();
    const x: string[] = [];
    const y: string[] = [];
    await Promise.all([b.onPresence(ch, (c) => x.push(c.event)), b.onPresence(ch, (c) => y.push(c.event))]);
    await a.presenceSet(ch, { clientId: 'z', connId: 'z1' }, 10_000);
    await waitFor(() => x.length === 1 && y.length === 1, 'a join on both listeners');
    expect([x, y]).toEqual([['join'], ['join']]);
  });
});
