// The memory broker and the Redis Streams broker driven by one random sequence of calls and
// checked against each other and against a model of a channel log (PROTOCOL.md §4–§6, §8,
// §9.1; the Broker contract in src/broker/types.ts). Real Redis at 127.0.0.1:6379, two
// broker instances on one key prefix playing two server nodes.
//
// What is compared, per call: offsets, epochs (as "generations": an epoch is opaque, so each
// side's epoch strings are mapped to the model's count of history losses, and a new string
// within one generation, or an old one after a loss, is a failure), payloads as the wire
// sees them (JSON), ids, users, ts, the dedupe outcome, errors by code, presence lists and
// events. Replays go through the server's own planReplay/limitPlan and readHistory, so a
// broker answer that would mislead them shows up as a wrong replay.
//
// Invariants against the model: offsets from 1, +1 per stored message; a re-sent id of the
// same publisher answers its original offset until the history is lost or the id forgotten;
// a replay from X is exactly the stored messages after X or says they are gone (and then
// carries the retained tail); each live listener sees every message stored after it was
// attached, once, in order (Redis may also hand it some stored just before, contiguously:
// the server drops those at its seam).
//
// Not compared, by design: dedupe TTLs (Redis expires keys on its own clock; `forgetIds`
// ages the memory broker's ids past its TTL and deletes the Redis keys instead), presence
// TTLs (the memory broker has none), the memory broker's dedupe window count (set far
// above what a run publishes), and inputs the server never passes (ids that are not
// well-formed, data that is not JSON, channel names with braces: src/session/validate.ts).
//
// fast-check prints the seed and the shrunk command list of a failure; replay it with
// `fc.assert(…, { seed, path })`. BROKER_DIFF_RUNS=n runs n random sequences.
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { memoryBroker } from '../src/broker/memoryBroker';
import { redisBroker, type RedisBroker } from '../src/broker/redisBroker';
import { channelKeys } from '../src/broker/redisKeys';
import type { Broker, PresenceChange, PresenceEntry, StoredMessage } from '../src/broker/types';
import { readHistory } from '../src/historyRoute';
import { limitPlan, planReplay } from '../src/replay';
import { PUBLISH_LUA } from '../src/broker/redisScripts';
import { startRoleProxy } from './helpers/roleProxy';
import { fakeClock, REDIS_URL, redisSuite, waitFor } from './redisTestUtils';

const { available, prefix } = await redisSuite();
const admin = available ? new Redis(REDIS_URL, { maxRetriesPerRequest: 1 }) : undefined;
afterAll(() => admin?.disconnect());

/** Memory ids expire after this (fake) time; `forgetIds` jumps it. Redis keeps its default. */
const ID_TTL_MS = 1000;
/** Presence TTL passed to every set: far beyond what a run's clock moves (the memory broker has none). */
const PRESENCE_TTL_MS = 3_600_000;
const CHANNELS = 2;

/** Who publishes: a token `sub` (or none) on a node. alice on both nodes shares her ids. */
const PUBLISHERS = [
  { user: 'alice', node: 0 },
  { user: 'bob', node: 1 },
  { user: undefined, node: 0 },
  { user: undefined, node: 1 },
  { user: 'alice', node: 1 },
  // A token `sub` is any JSON string: a quote and a lone surrogate (Redis keeps UTF-8).
  { user: 'q"\ud800', node: 1 },
] as const;
// Repeated ids, one with the dedupe value's separator, one spelling a publisher-scoped key.
const IDS = ['m1', 'm2', 'm3', 'a|b', '["alice","m1"]'] as const;
/** Presence connections: one clientId from two tabs, reused by another user and by none. */
const CONNS = [
  { connId: 'k1', clientId: 'c1', user: 'alice' },
  { connId: 'k2', clientId: 'c1', user: 'alice' },
  { connId: 'k3', clientId: 'c1', user: 'bob' },
  { connId: 'k4', clientId: 'c1', user: undefined },
  { connId: 'k5', clientId: 'c2', user: undefined },
  { connId: 'k6', clientId: 'c2', user: undefined },
  { connId: 'k7', clientId: 'c2', user: 'bob' },
  { connId: 'k8', clientId: 'c2', user: 'q"\ud800' },
  // A clientId may hold NUL (the Redis field is `clientId NUL connId`, split at the last one).
  { connId: 'k9', clientId: 'c\u0000k1', user: 'alice' },
] as const;
const INFOS = [undefined, null, { n: 1 }, { n: 2 }, 'x'] as const;

type Json = unknown;
type Pub = { p: number; id: string | null; data: Json };
type SinceSpec = { back: number; epoch: 'cur' | 'prev' | 'madeup' };
export type Cmd =
  | ({ k: 'pub'; ch: number } & Pub)
  | { k: 'burst'; ch: number; node: number; pubs: Pub[] }
  | { k: 'race'; ch: number; pubs: Pub[] }
  | { k: 'read'; ch: number; node: number; back: number; limit: number }
  | { k: 'replay'; ch: number; node: number; since: SinceSpec | null; limit: number | null; page: number }
  | { k: 'history'; ch: number; node: number; limit: number }
  | { k: 'position'; ch: number; node: number }
  | { k: 'enter'; ch: number; c: number; info: number }
  | { k: 'refresh'; ch: number; c: number; info: number }
  | { k: 'leave'; ch: number; c: number }
  | { k: 'list'; ch: number; node: number }
  | { k: 'listen'; ch: number; node: number }
  | { k: 'unlisten'; i: number }
  | { k: 'lose'; keys: number; ids: boolean }
  | { k: 'forgetIds' }
  | { k: 'tick'; ms: number };

/** The Redis keys a `lose` deletes besides presence (each set makes the history gone: a new epoch). */
const LOSSES: (keyof ReturnType<typeof channelKeys>)[][] = [['epoch'], ['seq'], ['epoch', 'seq', 'log'], ['seq', 'log'], ['epoch', 'log'], ['log']];

const ch = fc.nat({ max: CHANNELS - 1 });
/** Presence mostly on one channel, so enters, refreshes and leaves meet. */
const pch = fc.constantFrom(0, 0, 0, 1);
const node = fc.nat({ max: 1 });
const data = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.string({ maxLength: 3 }), fc.jsonValue({ maxDepth: 2 }));
const pub = fc.record({ p: fc.nat({ max: PUBLISHERS.length - 1 }), id: fc.option(fc.constantFrom(...IDS), { nil: null, freq: 4 }), data });
const W = <T,>(arbitrary: fc.Arbitrary<T>, weight: number) => ({ arbitrary, weight });
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  W(fc.record({ k: fc.constant('pub' as const), ch }).chain((c) => pub.map((p) => ({ ...c, ...p }))), 14),
  W(fc.record({ k: fc.constant('burst' as const), ch, node, pubs: fc.array(pub, { minLength: 2, maxLength: 4 }) }), 3),
  W(fc.record({ k: fc.constant('race' as const), ch, pubs: fc.array(pub, { minLength: 2, maxLength: 5 }) }), 3),
  W(fc.record({ k: fc.constant('read' as const), ch, node, back: fc.integer({ min: -2, max: 8 }), limit: fc.constantFrom(0, 1, 2, 3, 1000) }), 4),
  W(fc.record({
    k: fc.constant('replay' as const), ch, node,
    since: fc.option(fc.record({ back: fc.integer({ min: -2, max: 8 }), epoch: fc.constantFrom('cur' as const, 'cur' as const, 'prev' as const, 'madeup' as const) }), { nil: null, freq: 5 }),
    limit: fc.option(fc.integer({ min: 1, max: 4 }), { nil: null }),
    page: fc.integer({ min: 1, max: 4 }),
  }), 8),
  W(fc.record({ k: fc.constant('history' as const), ch, node, limit: fc.integer({ min: 0, max: 5 }) }), 2),
  W(fc.record({ k: fc.constant('position' as const), ch, node }), 1),
  W(fc.record({ k: fc.constant('enter' as const), ch: pch, c: fc.nat({ max: CONNS.length - 1 }), info: fc.nat({ max: INFOS.length - 1 }) }), 6),
  W(fc.record({ k: fc.constant('refresh' as const), ch: pch, c: fc.nat({ max: CONNS.length - 1 }), info: fc.nat({ max: INFOS.length - 1 }) }), 2),
  W(fc.record({ k: fc.constant('leave' as const), ch: pch, c: fc.nat({ max: CONNS.length - 1 }) }), 5),
  W(fc.record({ k: fc.constant('list' as const), ch: pch, node }), 2),
  W(fc.record({ k: fc.constant('listen' as const), ch, node }), 3),
  W(fc.record({ k: fc.constant('unlisten' as const), i: fc.nat({ max: 3 }) }), 1),
  W(fc.record({ k: fc.constant('lose' as const), keys: fc.nat({ max: LOSSES.length - 1 }), ids: fc.boolean() }), 2),
  W(fc.constant({ k: 'forgetIds' as const }), 1),
  W(fc.record({ k: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 5 }) }), 2),
);


/** What the runs reached (BROKER_DIFF_STATS=1 prints it): a property that never reaches a case checks nothing of it. */
const seen = new Map<string, number>();
const tally = (what: string) => void seen.set(what, (seen.get(what) ?? 0) + 1);

// ---- the model ------------------------------------------------------------------------

interface ModelMsg { offset: number; gen: number; data: Json; id?: string; user?: string; ts: number }
interface ModelChannel { gen: number; head: number; log: ModelMsg[]; ids: Map<string, number> }
const idKey = (user: string | undefined, id: string) => (user === undefined ? `-${id}` : `u${JSON.stringify([user, id])}`);

// ---- one side (a broker, or two Redis nodes) ---------------------------------------------

interface Listener { ch: number; node: number; from: number; got: Norm[]; off: () => Promise<void> }
interface Side {
  name: 'memory' | 'redis';
  nodes: [Broker, Broker];
  /** Per channel: epoch string → generation. */
  epochs: Map<string, number>[];
  listeners: (Listener | undefined)[];
  /** Per channel and node: presence events heard. */
  events: PresenceChange[][][];
}
type Norm = Record<string, unknown>;
/** The wire's view of a value: JSON (-0 is 0, undefined fields are absent). */
const wire = <T,>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

async function outcome<T>(fn: () => Promise<T>): Promise<{ ok: T } | { err: string }> {
  try {
    return { ok: await fn() };
  } catch (err) {
    const e = err as { code?: string; name?: string; message?: string };
    tally(`error: ${e.code ?? e.name}`);
    return { err: `${e.code ?? e.name}` + (e.code || e.name === 'PresenceTakenError' ? '' : `: ${e.message}`) };
  }
}

async function runSequence(cmds: Cmd[], retention: number): Promise<void> {
  const clock = fakeClock(1_790_000_000_000);
  const run = `r${Math.random().toString(36).slice(2, 8)}`;
  const names = Array.from({ length: CHANNELS }, (_, i) => `${run}.ch${i}`);
  const errors: Error[] = [];
  const mem = memoryBroker({ retention, dedupeTtlMs: ID_TTL_MS, dedupeWindow: 100_000, clock });
  const redisNode = (): RedisBroker => redisBroker({ url: REDIS_URL, keyPrefix: prefix, retention, clock, onError: (e) => errors.push(e) });
  const redis: [RedisBroker, RedisBroker] = [redisNode(), redisNode()];
  const sides: Side[] = [
    { name: 'memory', nodes: [mem, mem], epochs: [], listeners: [], events: [] },
    { name: 'redis', nodes: redis, epochs: [], listeners: [], events: [] },
  ];
  const model: ModelChannel[] = names.map(() => ({ gen: 0, head: 0, log: [], ids: new Map() }));
  const stored: { ch: number; msg: ModelMsg }[] = [];
  const log: string[] = [];
  const detach: (() => Promise<void>)[] = [];
  try {
    for (const s of sides) {
      s.epochs = names.map(() => new Map());
      s.events = names.map(() => [[], []]);
      for (const [c, name] of names.entries()) {
        for (const n of [0, 1] as const) {
          // The memory broker has one node: its events are heard once, and copied to node 1.
          if (s.name === 'memory' && n === 1) continue;
          detach.push(await s.nodes[n].onPresence(name, (e) => void s.events[c]![n]!.push(wire(e))));
        }
      }
    }

    const gen = (s: Side, c: number, epoch: string): number | string => {
      const known = s.epochs[c]!.get(epoch);
      if (known !== undefined) return known;
      const g = model[c]!.gen;
      if ([...s.epochs[c]!.values()].includes(g)) return `a second epoch ${epoch} in generation ${g}`;
      s.epochs[c]!.set(epoch, g);
      return g;
    };
    const norm = (s: Side, c: number, m: StoredMessage): Norm => {
      const out: Norm = { offset: m.offset, gen: gen(s, c, m.epoch), data: wire(m.data), ts: m.ts };
      if (m.channel !== names[c]) out.channel = m.channel;
      if (m.id !== undefined) out.id = m.id;
      if (m.user !== undefined) out.user = m.user;
      return out;
    };
    const modelNorm = (m: ModelMsg): Norm => wire({ offset: m.offset, gen: m.gen, data: m.data, ts: m.ts, id: m.id, user: m.user });
    const retained = (c: number) => model[c]!.log.slice(-retention);
    const earliest = (c: number) => retained(c)[0]?.offset ?? model[c]!.head + 1;
    /** The epoch string a side knows for generation `g` of channel `c`. */
    const epochAt = (s: Side, c: number, g: number): string => {
      for (const [e, at] of s.epochs[c]!) if (at === g) return e;
      return `e_never_seen_${g}`;
    };

    const expectSame = async (i: number, what: string, run: (s: Side) => Promise<unknown>, expected?: unknown): Promise<void> => {
      const got: unknown[] = [];
      for (const s of sides) got.push(await run(s));
      const where = `step ${i} (${log[i]}): ${what}`;
      if (expected !== undefined) {
        expect(got[0], `${where}, memory vs model`).toEqual(expected);
        expect(got[1], `${where}, redis vs model`).toEqual(expected);
      } else {
        expect(got[1], `${where}, redis vs memory`).toEqual(got[0]);
      }
    };

    const publishOne = (c: number, p: Pub): unknown => {
      const { user } = PUBLISHERS[p.p]!;
      const m = model[c]!;
      if (p.id !== null) {
        const held = m.ids.get(idKey(user, p.id));
        if (held !== undefined) return tally('publish: duplicate'), { ok: { offset: held, gen: m.gen, duplicate: true } };
        if ([...m.ids.keys()].some((key) => key.endsWith(JSON.stringify(p.id).slice(1)) || key === `-${p.id}`)) tally('publish: an id another publisher holds');
      }
      const msg: ModelMsg = { offset: ++m.head, gen: m.gen, data: p.data, ts: clock.now() };
      if (p.id !== null) (msg.id = p.id), m.ids.set(idKey(user, p.id), msg.offset);
      if (user !== undefined) msg.user = user;
      m.log.push(msg);
      stored.push({ ch: c, msg });
      return { ok: { offset: msg.offset, gen: m.gen, duplicate: false } };
    };
    const sidePublish = async (s: Side, c: number, p: Pub, n?: number) => {
      const { user, node } = PUBLISHERS[p.p]!;
      const r = await outcome(() => s.nodes[n ?? node]!.publish(names[c]!, p.data, p.id ?? undefined, user));
      return 'ok' in r ? { ok: { offset: r.ok.offset, gen: gen(s, c, r.ok.epoch), duplicate: r.ok.duplicate } } : r;
    };

    /** Each listener of each side has what it is owed (Redis: waits for its notifications). */
    const checkListeners = async (i: number): Promise<void> => {
      for (const s of sides) {
        for (const [li, l] of s.listeners.entries()) {
          if (!l) continue;
          const owed = stored.slice(l.from).filter((x) => x.ch === l.ch).map((x) => modelNorm(x.msg));
          const before = stored.slice(0, l.from).filter((x) => x.ch === l.ch).map((x) => modelNorm(x.msg));
          await waitFor(() => l.got.length >= owed.length, `${s.name} listener ${li} to get ${owed.length} messages`, 2000).catch(() => undefined);
          // Redis may first hand over a few stored just before the attach (notifications still
          // queued in a shared feed), contiguous with the rest: the server drops them at its seam.
          const early = l.got.length - owed.length;
          const expected = s.name === 'redis' && early > 0 && early <= before.length ? [...before.slice(-early), ...owed] : owed;
          expect(l.got, `step ${i} (${log[i]}): ${s.name} listener ${li} on ch${l.ch} node ${l.node} (errors: ${errors.map((e) => e.message).join('; ')})`).toEqual(expected);
        }
      }
    };
    const checkPresenceEvents = async (i: number): Promise<void> => {
      for (let c = 0; c < CHANNELS; c++) {
        const want = sides[0]!.events[c]![0]!;
        for (const n of [0, 1]) {
          const got = sides[1]!.events[c]![n]!;
          await waitFor(() => got.length >= want.length, `redis node ${n} presence events on ch${c}`, 2000).catch(() => undefined);
          expect(got, `step ${i} (${log[i]}): presence events of ch${c}, redis node ${n} vs memory`).toEqual(want);
        }
      }
    };

    for (const [i, c] of cmds.entries()) {
      log.push(JSON.stringify(c));
      switch (c.k) {
        case 'pub': {
          const expected = publishOne(c.ch, c);
          await expectSame(i, 'publish', (s) => sidePublish(s, c.ch, c), expected);
          break;
        }
        case 'burst': {
          // Concurrent publishes through one node: one Redis connection runs them in the
          // order sent, as the memory broker does.
          const expected = c.pubs.map((p) => publishOne(c.ch, p));
          await expectSame(i, 'burst', (s) => Promise.all(c.pubs.map((p) => sidePublish(s, c.ch, p, c.node))), expected);
          break;
        }
        case 'race': {
          // Concurrent publishes through both nodes: Redis picks the order. Each must be
          // told apart from the others by one serial order, the one its offsets name (a
          // duplicate after the publish it repeats), in which the memory broker and the
          // model then take them.
          const r = await Promise.all(c.pubs.map((p) => sidePublish(sides[1]!, c.ch, p)));
          const order = c.pubs.map((_, j) => j).sort((x, y) => {
            const [ox, oy] = [r[x]!, r[y]!].map((o) => ('ok' in o ? o.ok.offset * 2 + (o.ok.duplicate ? 1 : 0) : Infinity));
            return ox! - oy! || x - y;
          });
          const expected = order.map((j) => publishOne(c.ch, c.pubs[j]!));
          const got = order.map((j) => r[j]);
          expect(got, `step ${i} (${log[i]}): race, redis vs model in the order of its offsets`).toEqual(expected);
          const mine: unknown[] = [];
          for (const j of order) mine.push(await sidePublish(sides[0]!, c.ch, c.pubs[j]!));
          expect(mine, `step ${i} (${log[i]}): race, memory vs model`).toEqual(expected);
          break;
        }
        case 'read': {
          const after = Math.max(0, model[c.ch]!.head - c.back);
          const m = model[c.ch]!;
          const expected = { ok: { gen: m.gen, head: m.head, earliest: earliest(c.ch), messages: retained(c.ch).filter((x) => x.offset > after).slice(0, c.limit).map(modelNorm) } };
          await expectSame(i, `read after ${after}`, async (s) => {
            const r = await outcome(() => s.nodes[c.node]!.read(names[c.ch]!, after, c.limit));
            if (!('ok' in r)) return r;
            // Read the epoch before the messages: an unseen one is the current generation's.
            const g = gen(s, c.ch, r.ok.epoch);
            return { ok: { gen: g, head: r.ok.head, earliest: r.ok.earliest, messages: r.ok.messages.map((x) => norm(s, c.ch, x)) } };
          }, expected);
          break;
        }
        case 'replay': {
          const m = model[c.ch]!;
          // An epoch is known by its string: a generation neither side has seen yet can only be made up.
          const wanted = c.since?.epoch === 'cur' ? m.gen : c.since?.epoch === 'prev' ? m.gen - 1 : -1;
          const g = [...sides[0]!.epochs[c.ch]!.values()].includes(wanted) ? wanted : -1;
          const since = c.since && { offset: Math.max(0, m.head - c.since.back), g };
          const expected = { ok: expectedReplay(m, since, retention, c.limit) };
          tally(`replay: ${expected.ok.recovered === undefined ? 'no since' : expected.ok.recovered ? 'recovered' : expected.ok.reason}${expected.ok.count ? ' with messages' : ''}${expected.ok.more ? ', more' : ''}`);
          await expectSame(i, 'replay', async (s) => {
            const r = await outcome(async () => {
              const epoch = since && (since.g === -1 ? 'e_made_up' : epochAt(s, c.ch, since.g));
              const plan = limitPlan(await planReplay(s.nodes[c.node]!, names[c.ch]!, since ? { offset: since.offset, epoch: epoch! } : undefined, c.page), c.limit ?? undefined);
              const msgs: StoredMessage[] = [];
              for await (const page of plan.pages) msgs.push(...page);
              return { plan, msgs };
            });
            if (!('ok' in r)) return r;
            const { plan, msgs } = r.ok;
            const g = gen(s, c.ch, plan.epoch);
            return { ok: wire({ gen: g, head: plan.head, recovered: plan.recovered, reason: plan.reason, count: plan.count, more: plan.more, messages: msgs.map((x) => norm(s, c.ch, x)) }) };
          }, expected);
          break;
        }
        case 'history': {
          const m = model[c.ch]!;
          const msgs = c.limit > 0 ? retained(c.ch).slice(-c.limit) : [];
          const expected = { ok: { gen: m.gen, offset: msgs.at(-1)?.offset ?? m.head, messages: msgs.map(modelNorm) } };
          await expectSame(i, 'history', async (s) => {
            const r = await outcome(() => readHistory(s.nodes[c.node]!, names[c.ch]!, c.limit));
            if (!('ok' in r)) return r;
            const g = gen(s, c.ch, r.ok.epoch);
            return { ok: { gen: g, offset: r.ok.offset, messages: r.ok.messages.map((x) => norm(s, c.ch, { ...x, channel: names[c.ch]! })) } };
          }, expected);
          break;
        }
        case 'position': {
          const m = model[c.ch]!;
          await expectSame(i, 'position', async (s) => {
            const r = await outcome(() => s.nodes[c.node]!.position(names[c.ch]!));
            return 'ok' in r ? { ok: { offset: r.ok.offset, gen: gen(s, c.ch, r.ok.epoch) } } : r;
          }, { ok: { offset: m.head, gen: m.gen } });
          break;
        }
        case 'enter':
        case 'refresh': {
          const conn = CONNS[c.c]!;
          const entry: PresenceEntry = wire({ ...conn, info: INFOS[c.info] });
          await expectSame(i, c.k, (s) => {
            const b = s.nodes[c.c % 2]!;
            return outcome(() => (c.k === 'enter' ? b.presenceSet : b.presenceRefresh!).call(b, names[c.ch]!, { ...entry }, PRESENCE_TTL_MS));
          });
          await checkPresenceEvents(i);
          break;
        }
        case 'leave': {
          const conn = CONNS[c.c]!;
          await expectSame(i, 'leave', (s) => outcome(() => s.nodes[c.c % 2]!.presenceRemove(names[c.ch]!, conn.clientId, conn.connId)));
          await checkPresenceEvents(i);
          break;
        }
        case 'list': {
          await expectSame(i, 'presence list', async (s) => {
            const r = await outcome(() => s.nodes[c.node]!.presenceList(names[c.ch]!));
            // Across clientIds the order is the broker's own; within one it is the contract's (oldest first).
            return 'ok' in r ? { ok: wire(groupByClient(r.ok)) } : r;
          });
          break;
        }
        case 'listen': {
          for (const s of sides) {
            const l: Listener = { ch: c.ch, node: c.node, from: stored.length, got: [], off: async () => undefined };
            l.off = await s.nodes[c.node]!.onMessage(names[c.ch]!, (msg) => void l.got.push(norm(s, c.ch, msg)));
            s.listeners.push(l);
          }
          break;
        }
        case 'unlisten': {
          // Checked first: a Redis listener detached with notifications still on the way misses them.
          await checkListeners(i);
          for (const s of sides) {
            const live = s.listeners.flatMap((l, at) => (l ? [at] : []));
            const at = live[c.i % Math.max(1, live.length)];
            if (at === undefined) continue;
            await s.listeners[at]!.off();
            s.listeners[at] = undefined;
          }
          break;
        }
        case 'lose': {
          await mem.reset();
          for (const [at, name] of names.entries()) {
            const k = channelKeys(prefix, name);
            // The stream alone is no history of an empty log: its epoch goes as well, as the
            // memory broker's reset renews every channel's.
            const lost = LOSSES[c.keys]!.length === 1 && LOSSES[c.keys]![0] === 'log' && model[at]!.head === 0 ? ['epoch' as const] : LOSSES[c.keys]!;
            const keys = [...lost.map((x) => k[x] as string), k.presenceExpiry, k.presenceCount, k.presenceCurrent, k.presenceEntries];
            await admin!.del(...keys);
            if (c.ids) await deleteIds(name);
          }
          for (const m of model) (m.gen++, (m.head = 0), (m.log = []), m.ids.clear());
          break;
        }
        case 'forgetIds': {
          clock.advance(ID_TTL_MS);
          for (const name of names) await deleteIds(name);
          for (const m of model) m.ids.clear();
          break;
        }
        case 'tick':
          clock.advance(c.ms);
          break;
      }
    }
    log.push('the end');
    for (const e of sides[0]!.events.flat(2)) tally(`presence event: ${e.event}`);
    for (const l of sides[0]!.listeners) if (l && new Set(l.got.map((x) => x.gen)).size > 1) tally('listener across epochs');
    if (model.some((m) => m.head > retention)) tally('trimmed');
    const end = cmds.length;
    await checkListeners(end);
    await checkPresenceEvents(end);
    // Anything late: a marker entered on each channel after everything else comes last.
    for (const [c, name] of names.entries()) {
      await mem.presenceSet(name, { clientId: 'marker', connId: 'm' }, PRESENCE_TTL_MS);
      await redis[0].presenceSet(name, { clientId: 'marker', connId: 'm' }, PRESENCE_TTL_MS);
      for (const n of [0, 1]) await waitFor(() => sides[1]!.events[c]![n]!.some((e) => e.member.clientId === 'marker'), 'the marker', 2000);
    }
    await checkPresenceEvents(end);
    expect(errors.map((e) => e.message), 'errors reported by the Redis nodes').toEqual([]);
  } finally {
    for (const s of sides) for (const l of s.listeners) await l?.off();
    for (const off of detach) await off();
    await Promise.all([mem.close(), ...redis.map((b) => b.close())]);
  }
}

/** What planReplay (then limitPlan) must answer (PROTOCOL.md §5), from the model. */
function expectedReplay(m: ModelChannel, since: { offset: number; g: number } | null, retention: number, limit: number | null) {
  const kept = m.log.slice(-retention);
  const earliest = kept[0]?.offset ?? m.head + 1;
  let plan: { gen: number; head: number; recovered?: boolean; reason?: string; count: number; more?: true; messages: ModelMsg[] };
  const lost = (reason: string, tail: boolean) => {
    const messages = tail ? kept : [];
    return { gen: m.gen, head: m.head, recovered: false, reason, count: messages.length, messages };
  };
  if (!since) plan = { gen: m.gen, head: m.head, count: 0, messages: [] };
  else if (since.g !== m.gen) plan = lost('epoch-changed', true);
  else if (since.offset > m.head) plan = lost('out-of-retention', false);
  else if (since.offset + 1 < earliest) plan = lost('out-of-retention', true);
  else {
    const messages = kept.filter((x) => x.offset > since.offset);
    plan = { gen: m.gen, head: m.head, recovered: true, count: messages.length, messages };
  }
  if (limit !== null && plan.count > limit) {
    plan = { ...plan, head: plan.head - plan.count + limit, count: limit, more: true, messages: plan.messages.slice(0, limit) };
  }
  const { messages, ...rest } = plan;
  return wire({ ...rest, messages: messages.map((x) => ({ offset: x.offset, gen: x.gen, data: x.data, ts: x.ts, id: x.id, user: x.user })) });
}

/** Entries grouped by clientId (sorted), each group in the broker's order. */
function groupByClient(entries: PresenceEntry[]): [string, PresenceEntry[]][] {
  const groups = new Map<string, PresenceEntry[]>();
  for (const e of entries) groups.set(e.clientId, [...(groups.get(e.clientId) ?? []), e]);
  return [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Deletes a channel's dedupe keys (both the id and the publisher-scoped ones). */
async function deleteIds(name: string): Promise<void> {
  const k = channelKeys(prefix, name);
  for (const p of [k.dedupe, k.publisherDedupe]) {
    let cursor = '0';
    do {
      const [next, keys] = await admin!.scan(cursor, 'MATCH', `${p.replace(/[*?[\]\\]/g, '\\$&')}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) await admin!.del(...keys);
    } while (cursor !== '0');
  }
}

const runs = Number(process.env.BROKER_DIFF_RUNS ?? 60);
/** BROKER_DIFF_SEED=<seed> [BROKER_DIFF_PATH=<path>] replays a reported failure. */
const replay = process.env.BROKER_DIFF_SEED ? { seed: Number(process.env.BROKER_DIFF_SEED), path: process.env.BROKER_DIFF_PATH } : {};
const retentionArb = fc.constantFrom(1, 2, 3, 5, 1000);

// Tried first, before the random runs: the divergences this test found (the deterministic
// broker-level cases below fail without the fixes; these depend on when notifications come).
const found: [Cmd[], number][] = [
  // A burst right after the history was lost, retention 1: the listener's catch-up read found
  // the new epoch's stream trimmed past offset 1 and skipped what the notifications held.
  [[{ k: 'listen', ch: 0, node: 0 }, { k: 'pub', ch: 0, p: 1, id: null, data: 'old' }, { k: 'lose', keys: 0, ids: false },
    { k: 'burst', ch: 0, node: 1, pubs: [{ p: 1, id: null, data: 1 }, { p: 1, id: null, data: 2 }, { p: 1, id: null, data: 3 }] }], 1],
  // Lost twice: the message stored in the middle epoch never reached the listener.
  [[{ k: 'listen', ch: 0, node: 0 }, { k: 'lose', keys: 0, ids: false }, { k: 'pub', ch: 1, p: 0, id: null, data: '' }, { k: 'tick', ms: 1 },
    { k: 'pub', ch: 0, p: 0, id: null, data: '' }, { k: 'lose', keys: 0, ids: false }, { k: 'history', ch: 0, node: 0, limit: 0 }], 1],
];

describe.skipIf(!available)('memory broker and Redis broker answer the same random calls (model-checked)', () => {
  it('publishes, dedupe, reads, replays, history, epochs, presence and live delivery agree', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(cmd, { minLength: 10, maxLength: 40, size: 'max' }), retentionArb, async (cmds, retention) => {
        await runSequence(cmds, retention);
      }),
      { numRuns: runs, examples: found, ...replay },
    );
    if (process.env.BROKER_DIFF_STATS) console.log(Object.fromEntries([...seen].sort()));
  }, Math.max(60_000, runs * 400));
});

// The divergences the property found, each made deterministic at the broker (the property's
// own examples above depend on when notifications arrive). The memory broker delivers every
// stored message to every listener; these are what the Redis broker's live feed dropped.
describe.skipIf(!available)('Redis live feed after a lost history (found by the differential test)', () => {
  const opened: RedisBroker[] = [];
  const node = (extra: Parameters<typeof redisBroker>[0] = {}): RedisBroker => {
    const b = redisBroker({ url: REDIS_URL, keyPrefix: prefix, onError: () => undefined, ...extra });
    opened.push(b);
    return b;
  };
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
    await Promise.all(opened.splice(0).map((b) => b.close()));
  });
  let n = 0;
  const chan = (what: string) => `diff-reg.${process.pid}.${what}.${++n}`;

  it('a message stored in a new history that was lost again before this node read it still reaches the listener', async () => {
    const a = node();
    const ch = chan('lost-twice');
    const k = channelKeys(prefix, ch);
    const got: [string, number, unknown][] = [];
    await a.onMessage(ch, (m) => void got.push([m.epoch, m.offset, m.data]));
    // One atomic step, as another node and a Redis restart could do it between this node's
    // notification and its read: the history is lost, a message is stored (offset 1 of
    // e_one, notified) and that history is lost too.
    await admin!.multi()
      .del(k.epoch, k.seq, k.log)
      .eval(PUBLISH_LUA, 5, k.epoch, k.seq, k.log, k.dedupe, k.dedupe, 'e_one', '"stored"', '', '1', '1000', '0', '', k.feed, '')
      .del(k.epoch, k.seq, k.log)
      .exec();
    const after = await node().publish(ch, 'next'); // offset 1 of a third history
    await waitFor(() => got.length >= 2, 'both messages', 3000).catch(() => undefined);
    // Before the fix the read that a new epoch triggered found a third history and dropped
    // the notified message: got was only [[after.epoch, 1, 'next']].
    expect(got).toEqual([['e_one', 1, 'stored'], [after.epoch, 1, 'next']]);
  });

  /**
   * Node `a` (behind a proxy that can cut its command connection) listens on a channel that
   * had one message; node `b` publishes with retention 1. `a`'s command connection goes down
   * and a catch-up falls due (an unreadable notification), so `a` holds what arrives until
   * the stream answers again.
   */
  async function cutOff() {
    const proxy = await startRoleProxy();
    cleanups.push(() => proxy.close());
    const errors: string[] = [];
    const a = node({ url: proxy.url, readyTimeoutMs: 50, reconnectDelayMs: () => 20, onError: (e) => void errors.push(e.message) });
    const b = node({ retention: 1 });
    const ch = chan('trimmed-start');
    const barrier = chan('barrier');
    const k = channelKeys(prefix, ch);
    const got: [number, unknown][] = [];
    const marks: string[] = [];
    await a.onMessage(ch, (m) => void got.push([m.offset, m.data]));
    await a.onPresence(barrier, (e) => void marks.push(e.member.clientId));
    await b.publish(ch, 'old');
    await waitFor(() => got.length === 1, 'the first message');
    proxy.refuse('cmd', true);
    proxy.cut('cmd');
    await admin!.publish(k.feed, 'not a notification');
    await waitFor(() => errors.some((e) => /unreadable notification/.test(e)), 'the unreadable notification');
    await admin!.del(k.epoch, k.seq, k.log); // the history is lost
    /** Resolves once everything published so far has reached `a`'s pub/sub connection (one connection delivers in order). */
    const arrived = async (): Promise<void> => {
      marks.length = 0;
      await admin!.publish(channelKeys(prefix, barrier).presenceEvents, JSON.stringify({ event: 'join', member: { clientId: 'barrier' } }));
      await waitFor(() => marks.includes('barrier'), 'the barrier event');
    };
    return { proxy, errors, a, b, ch, got, arrived };
  }

  it('a catch-up that finds a new history trimmed past its start takes the start from the notifications in hand', async () => {
    const { proxy, errors, b, ch, got, arrived } = await cutOff();
    // Three messages of the new history, of which the stream keeps the last; their
    // notifications reach `a` while its catch-up cannot read.
    for (const data of ['new-1', 'new-2', 'new-3']) await b.publish(ch, data);
    await arrived();
    proxy.refuse('cmd', false); // back: the reconnect's catch-up reads the stream
    await waitFor(() => got.length >= 4, 'the new history', 3000).catch(() => undefined);
    // Before the fix: [[1, 'old'], [1, 'new-3']] and "offsets 1..2 fell out of retention before delivery".
    expect(got, errors.join('; ')).toEqual([[1, 'old'], [1, 'new-1'], [2, 'new-2'], [3, 'new-3']]);
    expect(errors.filter((e) => /fell out of retention/.test(e))).toEqual([]);
  });

  it('a catch-up that finds a new history whose first notification is in hand waits for the rest of them, not the trimmed stream', async () => {
    const { proxy, errors, a, b, ch, got, arrived } = await cutOff();
    await b.publish(ch, 'new-1');
    await arrived(); // new-1's notification is in hand
    proxy.hold('sub'); // the next two are on their way when the catch-up reads
    await b.publish(ch, 'new-2');
    await b.publish(ch, 'new-3');
    proxy.refuse('cmd', false);
    await waitFor(() => got.length >= 2, 'new-1');
    // The catch-up has had its answer once a later command on the same connection has.
    await a.position(ch);
    await new Promise((resolve) => setImmediate(resolve));
    proxy.release('sub');
    await waitFor(() => got.length >= 4, 'new-2 and new-3', 3000).catch(() => undefined);
    // Without the fix the catch-up read the stream from new-1 on, found new-2 trimmed, and
    // skipped to new-3; the notifications of both then came as duplicates.
    expect(got, errors.join('; ')).toEqual([[1, 'old'], [1, 'new-1'], [2, 'new-2'], [3, 'new-3']]);
    expect(errors.filter((e) => /fell out of retention/.test(e))).toEqual([]);
  });
});
