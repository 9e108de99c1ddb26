import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GapEvent, Message, Position } from '../src';
import { flushPromises, setup } from './support/harness';

/**
 * A client moved at random among three servers of different brokers (three logs, epochs
 * A, B and C, each published to while the client is elsewhere, each trimmed now and then),
 * with a sync or an async handler, against a small model of PROTOCOL.md §5's answers
 * (recovered, epoch-changed and out-of-retention with the retained tail, a `since` past the
 * head). What a subscriber is promised, whatever the moves:
 * - no message (epoch, offset) is handed twice, however often the client comes back to a log;
 * - each is handed right after the last one handled or the end of the last gap (`cur`), and
 *   every gap starts there: nothing is skipped unsaid;
 * - once the network is quiet, the handler has the current log up to its head.
 */
type Cmd =
  | { k: 'publish'; e: string; n: number }
  | { k: 'move'; e: string }
  | { k: 'serve' }
  | { k: 'resolve' }
  | { k: 'trim'; e: string };
const EPOCHS = ['A', 'B', 'C'];
const epoch = fc.constantFrom(...EPOCHS);
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { arbitrary: fc.record({ k: fc.constant('publish' as const), e: epoch, n: fc.integer({ min: 1, max: 3 }) }), weight: 6 },
  { arbitrary: fc.record({ k: fc.constant('move' as const), e: epoch }), weight: 3 },
  { arbitrary: fc.constant({ k: 'serve' as const }), weight: 5 },
  { arbitrary: fc.constant({ k: 'resolve' as const }), weight: 4 },
  { arbitrary: fc.record({ k: fc.constant('trim' as const), e: epoch }), weight: 1 },
);

async function run(cmds: Cmd[], asyncHandler: boolean) {
  const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 10, maxDelayMs: 10 } });
  // Each log: its head and its earliest retained offset.
  const logs = new Map(EPOCHS.map((e) => [e, { head: 0, floor: 1 }]));
  let on = 'A'; // the server the current connection is on
  let live = false; // that connection has a served `sub`: publishes to its log reach it
  let served = 0; // client frames of the current socket served
  const problems: string[] = [];
  const msg = (e: string, o: number) => h.sock.push({ type: 'msg', channel: 'room', offset: o, epoch: e, data: `${e}${o}`, id: `${e}${o}` });
  const connect = () => {
    h.clock.advance(10);
    h.accept({ heartbeatMs: 60_000 });
    served = 0;
    live = false;
  };
  const serve = () => {
    const frames = h.sock.frames();
    for (; served < frames.length; served++) {
      const f = frames[served];
      if (f.type === 'unsub') live = false;
      if (f.type !== 'sub') continue;
      if (f.limit !== undefined) problems.push(`a sub with limit ${f.limit} (no catch-up here)`);
      const log = logs.get(on)!;
      const since: Position | undefined = f.since;
      const reply: Record<string, unknown> = { type: 'subscribed', ref: f.ref, channel: 'room', epoch: on, offset: log.head, presence: [] };
      let from = log.head + 1;
      if (since) {
        if (since.epoch === on && since.offset > log.head) Object.assign(reply, { recovered: false, reason: 'out-of-retention' });
        else if (since.epoch === on && since.offset + 1 >= log.floor) Object.assign(reply, { recovered: true, replay: log.head - since.offset }), (from = since.offset + 1);
        else {
          Object.assign(reply, { recovered: false, reason: since.epoch === on ? 'out-of-retention' : 'epoch-changed' }), (from = log.floor);
          if (log.head >= log.floor) reply.replay = log.head - log.floor + 1;
        }
      }
      h.sock.push(reply);
      for (let o = from; o <= log.head; o++) msg(on, o);
      live = true;
    }
  };

  const ch = h.client.channel('room', { since: { offset: 0, epoch: 'A' } });
  const had = new Set<string>();
  let cur: Position = { offset: 0, epoch: 'A' };
  let pending: { m: Message; end: () => void } | null = null;
  ch.on('gap', (g: GapEvent) => {
    if (g.from?.offset !== cur.offset || g.from.epoch !== cur.epoch) problems.push(`gap from ${JSON.stringify(g.from)} at ${cur.epoch}#${cur.offset}`);
    cur = g.to;
  });
  ch.subscribe((m: Message) => {
    const id = `${m.epoch}#${m.offset}`;
    if (had.has(id)) problems.push(`${id} handed twice`);
    had.add(id);
    if (m.epoch !== cur.epoch || m.offset !== cur.offset + 1) problems.push(`${id} handed after ${cur.epoch}#${cur.offset}`);
    if (!asyncHandler) return void (cur = { offset: m.offset, epoch: m.epoch });
    return new Promise<void>((r) => (pending = { m, end: r }));
  });
  const resolve = async () => {
    const p = pending;
    if (!p) return false;
    pending = null;
    cur = { offset: p.m.offset, epoch: p.m.epoch };
    p.end();
    await flushPromises();
    return true;
  };
  connect();

  for (const c of cmds) {
    if (c.k === 'publish') {
      const log = logs.get(c.e)!;
      for (let i = 0; i < c.n; i++) {
        log.head++;
        if (live && c.e === on) msg(on, log.head);
      }
    } else if (c.k === 'move') {
      h.sock.serverClose(1006);
      on = c.e;
      connect();
    } else if (c.k === 'serve') serve();
    else if (c.k === 'resolve') await resolve();
    else {
      const log = logs.get(c.e)!;
      log.floor = log.head + 1;
    }
    if (problems.length) break;
  }
  // Quiet: everything served and handled.
  for (let i = 0; i < 50 && !problems.length; i++) {
    serve();
    if (!(await resolve()) && h.sock.frames().length === served) break;
  }
  const head = logs.get(on)!.head;
  if (!problems.length && (cur.epoch !== on || cur.offset !== head)) problems.push(`quiet at ${cur.epoch}#${cur.offset}, head ${on}#${head}`);
  if (!problems.length && (ch.position?.epoch !== on || ch.position.offset !== head)) problems.push(`position ${JSON.stringify(ch.position)}, head ${on}#${head}`);
  return problems;
}

// Found by this test before the fix (A's or C's retained tail handed again on coming back).
const examples: [Cmd[]][] = [
  [[{ k: 'publish', e: 'C', n: 1 }, { k: 'move', e: 'C' }, { k: 'serve' }, { k: 'move', e: 'A' }, { k: 'serve' }, { k: 'move', e: 'C' }]],
  [[{ k: 'serve' }, { k: 'publish', e: 'A', n: 2 }, { k: 'resolve' }, { k: 'resolve' }, { k: 'move', e: 'B' }, { k: 'serve' }, { k: 'publish', e: 'B', n: 1 }, { k: 'move', e: 'A' }, { k: 'serve' }]],
];

describe('a client moved at random among servers of three brokers (model)', () => {
  for (const asyncHandler of [false, true]) {
    it(`${asyncHandler ? 'async' : 'sync'} handler: nothing handed twice, nothing skipped unsaid, at the head once quiet`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(cmd, { maxLength: 60 }), async (cmds) => {
          expect(await run(cmds, asyncHandler)).toEqual([]);
        }),
        { numRuns: Number(process.env.MODEL_RUNS ?? 300), examples },
      );
    });
  }
});
