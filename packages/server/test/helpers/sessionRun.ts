// The runner of the session model test (sessionModel.test.ts). A model-based random test of the session layer (subscribe, replay, publish, presence,
// drain) against a real server on port 0: raw clients send random interleavings of
// requests, abrupt closes, reconnects from their last position and paused reads; every
// frame is checked against PROTOCOL.md's promises as it arrives (helpers/modelClient.ts),
// and at each settle point the answers, the streams' ends and presence are checked against
// the model (helpers/sessionModel.ts). At the end every client leaves and the server's
// structures must be empty.
import fc from 'fast-check';
import { createServer, type LifelineServer } from '../../src/index';
import { memoryBroker, type MemoryBroker } from '../../src/broker/memoryBroker';
import { FakeClock } from './fakeClock';
import { ModelClient, type Position } from './modelClient';
import { SessionModel } from './sessionModel';
import { slowBroker } from './slowBroker';
// The storm package's seeded PRNG (mulberry32), from source: a copy of it lived here.
import { seededRandom } from '../../../storm/src/sim/rng';
import { signToken } from '../../src/auth';

const SLOTS = 3;
const CHANNELS = ['a', 'b'] as const;
const GRACE_MS = 5000;
const SETTLE_MS = 3000;
const SECRET = 'session-model-secret';

type Ch = (typeof CHANNELS)[number];
type SinceKind = 'none' | 'pos' | 'zero' | 'badEpoch' | 'ahead';
export type Step =
  | { k: 'sub'; slot: number; ch: Ch; since: SinceKind; limit?: number }
  | { k: 'badSub'; slot: number; ch: Ch; variant: number }
  | { k: 'unsub'; slot: number; ch: Ch }
  | { k: 'pub'; slot: number; ch: Ch; repeat: boolean; n: number; big?: boolean }
  | { k: 'badPub'; slot: number; ch: Ch; variant: number }
  | { k: 'enter'; slot: number; ch: Ch; info?: string }
  | { k: 'leave'; slot: number; ch: Ch }
  | { k: 'auth'; slot: number }
  | { k: 'terminate'; slot: number }
  | { k: 'reconnect'; slot: number }
  | { k: 'pause'; slot: number }
  | { k: 'resume'; slot: number }
  | { k: 'settle' }
  | { k: 'advance'; ms: number }
  | { k: 'drain' };

const slot = fc.integer({ min: 0, max: SLOTS - 1 });
const ch = fc.constantFrom(...CHANNELS);
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ k: fc.constant('sub' as const), slot, ch, since: fc.constantFrom<SinceKind>('none', 'pos', 'pos', 'zero', 'badEpoch', 'ahead'), limit: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }) }, { requiredKeys: ['k', 'slot', 'ch', 'since'] }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('badSub' as const), slot, ch, variant: fc.integer({ min: 0, max: 5 }) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('unsub' as const), slot, ch }) },
  { weight: 8, arbitrary: fc.record({ k: fc.constant('pub' as const), slot, ch, repeat: fc.boolean(), n: fc.integer({ min: 1, max: 6 }), big: fc.boolean() }, { requiredKeys: ['k', 'slot', 'ch', 'repeat', 'n'] }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('badPub' as const), slot, ch, variant: fc.integer({ min: 0, max: 2 }) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('enter' as const), slot, ch, info: fc.option(fc.constantFrom('x', 'y'), { nil: undefined }) }, { requiredKeys: ['k', 'slot', 'ch'] }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('leave' as const), slot, ch }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('auth' as const), slot }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('terminate' as const), slot }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('reconnect' as const), slot }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('pause' as const), slot }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('resume' as const), slot }) },
  { weight: 4, arbitrary: fc.constant({ k: 'settle' as const }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('advance' as const), ms: fc.integer({ min: 500, max: 6000 }) }) },
);
/** A run: its steps, the broker's retention, and where (if anywhere) the server drains. */
export const runArb = fc.record({
  steps: fc.array(stepArb, { minLength: 5, maxLength: 60 }),
  retention: fc.constantFrom(3, 1000),
  drainAt: fc.option(fc.nat(60), { nil: undefined, freq: 2 }),
  /** A small per-connection buffer limit, so a paused reader is closed as a slow consumer (1013). */
  smallBuffers: fc.boolean(),
  /** A server with a secret: each slot is a user of its own (`uN`), and `auth` renews its token. */
  secret: fc.boolean(),
  /** Seed of the broker's delays (helpers/slowBroker.ts); none: a broker answering at once. */
  slow: fc.option(fc.nat(), { nil: undefined, freq: 3 }),
});

interface Slot {
  clientId: string;
  conn: ModelClient | undefined;
  positions: Map<string, Position>;
  /** Channels a client would resubscribe on reconnecting. */
  desired: Set<string>;
  /** Channels it would enter again on reconnecting (the reference client does), with their info. */
  present: Map<string, string | undefined>;
  pubSeq: number;
  sent: Map<string, string[]>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs one random session against a fresh server; resolves to the violations found. */
export async function runSession(
  run: { steps: Step[]; retention: number; drainAt?: number; slow?: number; smallBuffers?: boolean; secret?: boolean },
  trace: string[] = [],
  /** Adds the server's frames out by type (and `recovered:false`, `more`, `duplicate`) here: what a run reached. */
  tally?: Record<string, number>,
): Promise<string[]> {
  const clock = new FakeClock();
  const broker: MemoryBroker = memoryBroker({ retention: run.retention, clock });
  const slow = run.slow === undefined ? undefined : slowBroker(broker, seededRandom(run.slow));
  const server: LifelineServer = await createServer({
    clock,
    broker: slow ?? broker,
    ownsBroker: true,
    presenceGraceMs: GRACE_MS,
    heartbeatMs: 3_600_000,
    publishPerSec: 1e6,
    publishBurst: 1e6,
    ...(run.smallBuffers ? { maxBufferedBytes: 200_000 } : {}),
    ...(run.secret ? { authSecret: SECRET } : {}),
  });
  const model = new SessionModel(run.retention, GRACE_MS, () => clock.now(), run.secret);
  const tokenOf = (i: number): string | undefined =>
    run.secret ? signToken({ sub: `u${i}`, exp: Math.floor(clock.now() / 1000) + 3600 }, SECRET) : undefined;
  const slots: Slot[] = Array.from({ length: SLOTS }, (_, i) => ({
    clientId: `c${i}`,
    conn: undefined,
    positions: new Map(),
    desired: new Set(),
    present: new Map(),
    pubSeq: 0,
    sent: new Map(),
  }));
  const all: ModelClient[] = [];
  let epoch: string | undefined;
  const learnEpoch = () => {
    for (const c of all) for (const f of c.frames) if ((f.type === 'subscribed' || f.type === 'ack') && typeof f.epoch === 'string') return (epoch = f.epoch);
    return undefined;
  };
  const open = () => all.filter((c) => c.open);

  const conn = async (i: number): Promise<ModelClient> => {
    const s = slots[i]!;
    if (s.conn?.open) return s.conn;
    s.conn = await ModelClient.connect(server.url, i, s.clientId, model, s.positions, tokenOf(i));
    all.push(s.conn);
    return s.conn;
  };
  const terminate = (c: ModelClient | undefined): void => {
    if (!c || !c.open) return;
    c.noteClosed();
    c.ws.terminate();
  };

  const settle = async (): Promise<void> => {
    for (const c of all) if (c.paused) c.resume();
    const deadline = Date.now() + SETTLE_MS;
    let why = '';
    for (;;) {
      why = '';
      const live = open();
      if (server.stats().connections !== live.length) why = `server counts ${server.stats().connections} connections, ${live.length} open`;
      for (const c of live) {
        if (!c.idle) why = `${c.clientId} owed ${JSON.stringify([...c.pending])}`;
        for (const [name, seg] of c.segments) {
          const head = (await broker.position(name)).offset;
          if (seg.more ? seg.replayLeft > 0 : seg.next - 1 !== head) why = `${c.clientId} on ${name} at ${seg.next - 1}, head ${head}${seg.more ? ' (page)' : ''}`;
        }
      }
      if (!why) break;
      if (Date.now() > deadline) return model.violation(`settle: ${why}`);
      await sleep(2);
    }
    // Presence: the store holds who the model says, and every subscriber was told so (its
    // events may still be on the wire when the store has changed: polled until the deadline).
    for (;;) {
      const wrong: string[] = [];
      for (const name of CHANNELS) {
        const actual = new Set((await broker.presenceList(name)).map((e) => e.clientId));
        const { required, allowed } = model.expectedPresence(name, open());
        for (const id of required) if (!actual.has(id)) wrong.push(`presence on ${name}: ${id} missing (have ${[...actual]})`);
        for (const id of actual) if (!allowed.has(id)) wrong.push(`presence on ${name}: ${id} present, should have left (have ${[...actual]})`);
        for (const c of open()) {
          const seg = c.segments.get(name);
          if (seg && [...seg.presence].sort().join() !== [...actual].sort().join()) {
            wrong.push(`${c.clientId} sees presence on ${name} as [${[...seg.presence]}], the store has [${[...actual]}]`);
          }
        }
      }
      if (wrong.length === 0) return;
      if (Date.now() > deadline) return void wrong.forEach((w) => model.violation(w));
      await sleep(2);
    }
  };

  /** Lets the server notice the closes and schedule the grace removals before time moves. */
  const closesNoticed = async (): Promise<void> => {
    const deadline = Date.now() + SETTLE_MS;
    // A closed connection's enter may still be on its way to the broker: its grace starts when it lands.
    while (server.stats().connections !== open().length || server.stats().presencePending < model.certainGraced() || (slow?.inFlight() ?? 0) > 0) {
      if (Date.now() > deadline) return model.violation(`closes not noticed: ${JSON.stringify(server.stats())}, ${model.certainGraced()} graced`);
      await sleep(2);
    }
    await sleep(5);
  };

  const sinceFor = (s: Slot, name: string, kind: SinceKind): Position | undefined => {
    const pos = s.positions.get(name);
    const e = pos?.epoch ?? epoch ?? learnEpoch();
    switch (kind) {
      case 'none':
        return undefined;
      case 'pos':
        return pos ?? (e ? { offset: 0, epoch: e } : undefined);
      case 'zero':
        return e ? { offset: 0, epoch: e } : undefined;
      case 'badEpoch':
        return { offset: pos?.offset ?? 0, epoch: 'e_bogus' };
      case 'ahead':
        return e ? { offset: (pos?.offset ?? 0) + 1000, epoch: e } : undefined;
    }
  };
  const subscribe = (c: ModelClient, s: Slot, name: string, since: Position | undefined, limit?: number) => {
    const frame: Record<string, unknown> = { type: 'sub', channel: name };
    if (since) frame.since = since;
    if (limit !== undefined) frame.limit = limit;
    s.desired.add(name);
    c.request(frame, { type: 'sub', channel: name, since, limit });
  };

  const enter = (c: ModelClient, name: string, info: string | undefined) =>
    c.request(info === undefined ? { type: 'presence.enter', channel: name } : { type: 'presence.enter', channel: name, info }, { type: 'presence.enter', channel: name });

  let drained = false;
  try {
    for (let n = 0; n < run.steps.length && !drained; n++) {
      if (run.drainAt === n) {
        trace.push('drain');
        for (const c of open()) c.resume();
        const atDrain = open();
        await server.drain({ timeoutMs: 2000 });
        for (const c of atDrain) {
          await waitClosed(c);
          if (c.closed?.code !== 1012 && c.closed?.code !== 1006) model.violation(`${c.clientId} closed ${JSON.stringify(c.closed)} by a drain`);
          if (c.closed?.code === 1012 && !c.drained) model.violation(`${c.clientId} closed 1012 without a drain frame`);
        }
        drained = true;
        break;
      }
      const step = run.steps[n]!;
      trace.push(JSON.stringify(step));
      if ('slot' in step) {
        const s = slots[step.slot]!;
        if (step.k === 'terminate') {
          terminate(s.conn);
          continue;
        }
        if (step.k === 'reconnect') {
          terminate(s.conn);
          const c = await conn(step.slot);
          for (const name of s.desired) subscribe(c, s, name, s.positions.get(name));
          for (const [name, info] of s.present) enter(c, name, info);
          continue;
        }
        if (step.k === 'pause') {
          s.conn?.pause();
          continue;
        }
        if (step.k === 'resume') {
          s.conn?.resume();
          continue;
        }
        const c = await conn(step.slot);
        switch (step.k) {
          case 'sub':
            subscribe(c, s, step.ch, sinceFor(s, step.ch, step.since), step.limit);
            break;
          case 'badSub': {
            const e = epoch ?? 'e_x';
            const variants: Record<string, unknown>[] = [
              { channel: step.ch, limit: 0 },
              { channel: step.ch, limit: 1.5 },
              { channel: step.ch, since: { offset: -1, epoch: e } },
              { channel: step.ch, since: null },
              { channel: step.ch, since: { offset: 1 } },
              { channel: 'no spaces' },
            ];
            c.request({ type: 'sub', ...variants[step.variant]! }, { type: 'sub', bad: true });
            break;
          }
          case 'unsub':
            s.desired.delete(step.ch);
            c.request({ type: 'unsub', channel: step.ch }, { type: 'unsub', channel: step.ch });
            break;
          case 'pub':
            for (let k = 0; k < step.n; k++) {
              const ids = s.sent.get(step.ch) ?? [];
              s.sent.set(step.ch, ids);
              const id = step.repeat && ids.length > 0 ? ids[(s.pubSeq + k) % ids.length]! : `${s.clientId}-${++s.pubSeq}`;
              if (!ids.includes(id)) ids.push(id);
              // Big ones fill a paused reader's socket and the server's queue behind it.
              const data = step.big ? { by: s.clientId, seq: ++s.pubSeq, pad: 'x'.repeat(30_000) } : { by: s.clientId, seq: ++s.pubSeq };
              const sent = model.sentIds.get(step.ch) ?? new Set();
              model.sentIds.set(step.ch, sent);
              c.request({ type: 'pub', channel: step.ch, data, id }, { type: 'pub', channel: step.ch, id, data });
              sent.add(id);
            }
            break;
          case 'badPub': {
            const variants: Record<string, unknown>[] = [{ data: 1 }, { data: 1, id: '' }, { id: 'x' }];
            c.request({ type: 'pub', channel: step.ch, ...variants[step.variant]! }, { type: 'pub', bad: true });
            break;
          }
          case 'enter':
            s.present.set(step.ch, step.info);
            enter(c, step.ch, step.info);
            break;
          case 'leave':
            s.present.delete(step.ch);
            c.request({ type: 'presence.leave', channel: step.ch }, { type: 'presence.leave', channel: step.ch });
            break;
          case 'auth':
            c.request({ type: 'auth', token: tokenOf(step.slot) ?? 'anything' }, { type: 'auth' });
            break;
        }
        continue;
      }
      if (step.k === 'settle') await settle();
      else if (step.k === 'advance') {
        await settle();
        await closesNoticed();
        clock.advance(step.ms);
      }
    }
    if (!drained) {
      await settle();
      // Everyone leaves: the server must let go of every channel, listener and entry.
      for (const c of open()) terminate(c);
      await closesNoticed();
      clock.advance(GRACE_MS);
      const deadline = Date.now() + SETTLE_MS;
      let left = '';
      for (;;) {
        const st = server.stats();
        left = '';
        if (st.channels !== 0) left += ` ${st.channels} channel(s) attached`;
        if (st.presencePending !== 0) left += ` ${st.presencePending} grace removal(s) pending`;
        for (const name of CHANNELS) {
          const list = await broker.presenceList(name);
          if (list.length > 0) left += ` presence on ${name}: ${list.map((e) => e.clientId)}`;
        }
        if (!left) break;
        if (Date.now() > deadline) {
          model.violation(`after everyone left:${left}`);
          break;
        }
        await sleep(2);
      }
    }
  } finally {
    if (tally) {
      for (const [type, n] of Object.entries(server.stats().framesOut)) tally[type] = (tally[type] ?? 0) + n;
      for (const c of all) {
        for (const f of c.frames) {
          const key = f.type === 'subscribed' ? (f.more ? 'page' : f.recovered === false ? `lost:${f.reason}` : undefined) : f.type === 'ack' && f.duplicate ? 'duplicate' : f.type === 'error' ? `error:${f.code}` : undefined;
          if (key) tally[key] = (tally[key] ?? 0) + 1;
        }
        if (c.closed) tally[`close:${c.closed.code}`] = (tally[`close:${c.closed.code}`] ?? 0) + 1;
      }
    }
    for (const c of all) c.ws.terminate();
    await server.close();
  }
  for (const c of all) {
    const code = c.closed?.code;
    const slowConsumer = code === 1013 && run.smallBuffers && c.closed!.reason.startsWith('slow consumer');
    if (code !== undefined && ![1005, 1006, 1012, 1001].includes(code) && !slowConsumer) model.violation(`${c.clientId} closed ${JSON.stringify(c.closed)}`);
  }
  return model.violations;
}

async function waitClosed(c: ModelClient): Promise<void> {
  const deadline = Date.now() + SETTLE_MS;
  while (!c.closed && Date.now() < deadline) await sleep(2);
}

