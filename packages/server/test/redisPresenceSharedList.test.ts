// The Redis broker's presence list reads shared by calls while one is in flight
// (RedisPresence.list): every `sub` to a channel with presence read the whole member list
// (4 MB at 1,000 members of 4 KB). A read may be shared only while nothing this node knows
// of changed since it was sent. Real Redis; the list script's answers are held back from
// the caller (the read ran in Redis, its reply is "in flight") to make the interleavings.
import { afterEach, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { openConnection } from '../src/broker/redisConnection';
import { RedisPresence, type PresenceCommands } from '../src/broker/redisPresence';
import { RedisSubscriptions } from '../src/broker/redisSubscriptions';
import type { PresenceChange, PresenceEntry } from '../src/broker/types';
import { fakeClock, REDIS_URL, redisSuite, waitFor } from './redisTestUtils';

const { available, prefix } = await redisSuite();
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const clock = fakeClock();

/** A node's RedisPresence whose list script replies can be held back. */
async function node() {
  const settings = { url: REDIS_URL, commandTimeoutMs: 5000, reconnectDelayMs: () => 100 };
  const cmd = openConnection(settings, 'cmd') as Redis & PresenceCommands;
  const sub = openConnection(settings, 'sub');
  cleanups.push(() => {
    presence.stop();
    cmd.disconnect();
    sub.disconnect();
  });
  await Promise.all([cmd, sub].map((r) => (r.status === 'ready' ? undefined : new Promise((ok) => r.once('ready', ok)))));
  let holding = false;
  const held: (() => void)[] = [];
  let reads = 0;
  let lastRan: Promise<unknown> = Promise.resolve();
  const wrapped = new Proxy(cmd, {
    get(target, prop) {
      if (prop === 'llPresenceList') {
        return (...args: string[]) => {
          reads++;
          const reply = target.llPresenceList(...args);
          lastRan = reply.catch(() => undefined);
          if (!holding) return reply;
          return new Promise((resolve, reject) => held.push(() => void reply.then(resolve, reject)));
        };
      }
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  const subscriptions = new RedisSubscriptions(sub, () => undefined, (err) => { throw err; });
  const presence: RedisPresence = new RedisPresence({
    redis: async () => wrapped,
    subscriptions,
    prefix,
    now: clock.now,
    keyGraceMs: 60_000,
    sweepEveryMs: 3_600_000,
    setTimer: clock.setTimeout,
    clearTimer: clock.clearTimeout,
    onError: (err) => { throw err; },
  });
  return {
    presence,
    reads: () => reads,
    hold() {
      holding = true;
    },
    /** Waits until the last list read sent has run in Redis (its reply may still be held). */
    ran: () => lastRan,
    release() {
      holding = false;
      for (const r of held.splice(0)) r();
    },
  };
}

let n = 0;
const chan = () => `shared.${++n}`;
const ids = (entries: readonly PresenceEntry[]) => entries.map((e) => e.clientId).sort();

describe.skipIf(!available)('Redis presence: list reads shared while in flight', () => {
  it('concurrent list calls on a watched channel share one read, answered with one frozen array', async () => {
    const a = await node();
    const ch = chan();
    await a.presence.set(ch, { clientId: 'x', connId: 'c1', info: { pad: 'x'.repeat(4000) } }, 60_000);
    await a.presence.watch(ch, () => undefined);
    const before = a.reads();
    a.hold();
    const calls = Array.from({ length: 20 }, () => a.presence.list(ch));
    a.release();
    const lists = await Promise.all(calls);
    expect(a.reads() - before).toBe(1);
    expect(lists.every((l) => l === lists[0])).toBe(true);
    expect(Object.isFrozen(lists[0])).toBe(true);
    expect(ids(lists[0]!)).toEqual(['x']);
    // Answered: the next call reads again.
    await a.presence.list(ch);
    expect(a.reads() - before).toBe(2);
  });

  it("another node's enter this node heard of after a read was sent is in the answer of every later call", async () => {
    const a = await node();
    const b = await node();
    const ch = chan();
    const seen: PresenceChange[] = [];
    await a.presence.watch(ch, (c) => seen.push(c));
    a.hold();
    const early = a.presence.list(ch);
    await a.ran(); // the read ran in Redis before the enter below
    await b.presence.set(ch, { clientId: 'late', connId: 'c1' }, 60_000);
    await waitFor(() => seen.some((c) => c.event === 'join' && c.member.clientId === 'late'), 'the join event on node a');
    const after = a.presence.list(ch);
    a.release();
    expect(ids(await early)).toEqual([]); // in flight before the event: it missed the enter
    expect(ids(await after)).toEqual(['late']);
    // A leave too.
    a.hold();
    const stale = a.presence.list(ch);
    await a.ran();
    await b.presence.remove(ch, 'late', 'c1');
    await waitFor(() => seen.some((c) => c.event === 'leave'), 'the leave event on node a');
    const fresh = a.presence.list(ch);
    a.release();
    expect(ids(await stale)).toEqual(['late']);
    expect(ids(await fresh)).toEqual([]);
  });

  it("this node's own enter and leave, answered after a read was sent, are in the answer of every later call", async () => {
    const a = await node();
    const ch = chan();
    await a.presence.watch(ch, () => undefined);
    a.hold();
    const early = a.presence.list(ch);
    await a.ran();
    await a.presence.set(ch, { clientId: 'own', connId: 'c1' }, 60_000);
    // Asked at once, before the join event is back over pub/sub.
    const after = a.presence.list(ch);
    await a.ran();
    await a.presence.remove(ch, 'own', 'c1');
    const gone = a.presence.list(ch);
    a.release();
    expect(ids(await early)).toEqual([]);
    expect(ids(await after)).toEqual(['own']);
    expect(ids(await gone)).toEqual([]);
  });

  it('a channel this node does not watch is read for every call (other nodes\' changes would not reach it)', async () => {
    const a = await node();
    const ch = chan();
    const before = a.reads();
    await Promise.all([a.presence.list(ch), a.presence.list(ch), a.presence.list(ch)]);
    expect(a.reads() - before).toBe(3);
  });

  it('a failed shared read fails every call that shared it, and the next call reads again', async () => {
    const a = await node();
    const ch = chan();
    await a.presence.watch(ch, () => undefined);
    // A stub standing in for a read that fails (Redis would reject a command on a wrong key type).
    const redis = (a.presence as unknown as { deps: { redis: () => Promise<PresenceCommands> } }).deps;
    const real = redis.redis;
    let fail = true;
    redis.redis = async () => {
      const r = await real();
      if (!fail) return r;
      return new Proxy(r, { get: (t, p) => (p === 'llPresenceList' ? () => Promise.reject(new Error('boom')) : Reflect.get(t, p, t)) });
    };
    const calls = [a.presence.list(ch), a.presence.list(ch)].map((p) => p.then(() => 'ok', (e: Error) => e.message));
    expect(await Promise.all(calls)).toEqual(['boom', 'boom']);
    fail = false;
    expect(await a.presence.list(ch)).toEqual([]);
  });
});
