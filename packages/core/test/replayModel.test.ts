import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Position } from '../src';
import { flushPromises, setup } from './support/harness';

/**
 * The channel against a model of the reference server (PROTOCOL.md §3-§5): a log with an
 * epoch and a retention floor, `sub` answered in order with replay then live, `unsub`,
 * dropped connections, an epoch reset and a lost live frame (a hole). Whatever happens,
 * what the handler sees must be the log in order, each message once, and every skipped
 * range must be announced by a gap whose `from` is where delivery stood and whose `to` is
 * where it goes on from. Once the network is quiet, delivery reaches the head.
 */
type Cmd =
  | { k: 'publish'; n: number }
  | { k: 'serve' }
  | { k: 'drop' }
  | { k: 'reconnect' }
  | { k: 'toggle' }
  | { k: 'resetEpoch' }
  | { k: 'trim' }
  | { k: 'loseNext' }
  | { k: 'tick' };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  fc.integer({ min: 1, max: 4 }).map((n) => ({ k: 'publish', n }) as const),
  fc.constant({ k: 'serve' } as const),
  fc.constant({ k: 'serve' } as const),
  fc.constant({ k: 'drop' } as const),
  fc.constant({ k: 'reconnect' } as const),
  fc.constant({ k: 'toggle' } as const),
  fc.constant({ k: 'resetEpoch' } as const),
  fc.constant({ k: 'trim' } as const),
  fc.constant({ k: 'loseNext' } as const),
  fc.constant({ k: 'tick' } as const),
);

describe('channel delivery against a model server', () => {
  it('in order, once each, every skip announced by one gap; quiet network → delivered up to the head', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(cmd, { maxLength: 50 }), fc.boolean(), async (cmds, asyncHandler) => {
        const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 10, maxDelayMs: 10 } });
        const ch = h.client.channel('room');
        // Server state.
        let epoch = 'e1';
        let head = 0;
        let floor = 1; // earliest retained offset
        let epochN = 1;
        let loseNext = false;
        let processed = 0; // client frames of the current socket handled so far
        let live = false; // the current socket has a processed sub for room
        // What the application saw.
        let cur: Position | null = null;
        const problems: string[] = [];
        const onMsg = (m: { offset: number; epoch: string }) => {
          if (!cur) return void problems.push(`delivery ${m.offset} before any position`);
          if (m.epoch !== cur.epoch || m.offset !== cur.offset + 1) problems.push(`delivered ${m.epoch}#${m.offset} after ${cur.epoch}#${cur.offset}`);
          cur = { offset: m.offset, epoch: m.epoch };
        };
        const handler = asyncHandler
          ? (m: { offset: number; epoch: string }) => Promise.resolve().then(() => onMsg(m))
          : (m: { offset: number; epoch: string }) => onMsg(m);
        ch.on('gap', (g) => {
          // This log has no holes: a frame lost on the way is always replayable.
          if (g.reason === 'hole') problems.push(`hole gap ${JSON.stringify(g)}`);
          if (cur && (g.from?.offset !== cur.offset || g.from?.epoch !== cur.epoch)) problems.push(`gap from ${JSON.stringify(g.from)} at ${cur.epoch}#${cur.offset}`);
          cur = g.to;
        });
        let off: (() => void) | null = ch.subscribe(handler);
        const sock = () => h.sockets.at(-1);
        const open = () => sock() && sock()!.readyState === 1;
        const sendMsg = (o: number) => sock()!.push({ type: 'msg', channel: 'room', offset: o, epoch, data: o, id: `p${o}` });
        const connect = () => {
          const s = sock();
          if (!s || s.readyState !== 0) return;
          s.open();
          s.push({ type: 'welcome', v: 1, session: 's', heartbeatMs: 60_000, serverTime: 0 });
          processed = 0;
          live = false;
        };
        const serve = () => {
          if (!open()) return;
          const s = sock()!;
          const frames = s.sent.slice(1).map((t) => JSON.parse(t));
          for (; processed < frames.length; processed++) {
            const f = frames[processed];
            if (f.type === 'unsub' && f.channel === 'room') {
              live = false;
              s.push({ type: 'unsubscribed', ref: f.ref, channel: 'room' });
            } else if (f.type === 'sub' && f.channel === 'room') {
              const since: Position | undefined = f.since;
              const reply: Record<string, unknown> = { type: 'subscribed', ref: f.ref, channel: 'room', epoch, offset: head, presence: [] };
              let from = head + 1;
              if (since) {
                if (since.epoch !== epoch) Object.assign(reply, { recovered: false, reason: 'epoch-changed' });
                else if (since.offset + 1 < floor) Object.assign(reply, { recovered: false, reason: 'out-of-retention' });
                else {
                  from = since.offset + 1;
                  Object.assign(reply, { recovered: true, replay: Math.max(0, head - since.offset) });
                }
              }
              s.push(reply);
              for (let o = from; o <= head; o++) sendMsg(o);
              live = true;
            }
          }
        };
        const settle = async () => {
          await flushPromises();
          if (cur === null && ch.position) cur = ch.position;
        };
        for (const c of cmds) {
          switch (c.k) {
            case 'publish':
              for (let i = 0; i < c.n; i++) {
                head++;
                if (open() && live) {
                  if (loseNext) loseNext = false;
                  else sendMsg(head);
                }
              }
              break;
            case 'serve':
              serve();
              break;
            case 'drop':
              sock()?.serverClose(1006);
              break;
            case 'reconnect':
              h.clock.advance(10);
              connect();
              break;
            case 'toggle':
              if (off) {
                off();
                off = null;
              } else off = ch.subscribe(handler);
              break;
            case 'resetEpoch':
              epoch = `e${++epochN}`;
              head = 0; // the history is lost: a new, empty log
              floor = 1;
              break;
            case 'trim':
              floor = head + 1;
              break;
            case 'loseNext':
              loseNext = true;
              break;
            case 'tick':
              h.clock.advance(1000);
              break;
          }
          await settle();
        }
        // Quiet network: subscribed, connected, every frame served. A lost frame at the
        // tail shows only with a later message or a resubscribe: the connection is
        // replaced once.
        if (!off) off = ch.subscribe(handler);
        loseNext = false;
        sock()?.serverClose(1006);
        for (let i = 0; i < 6; i++) {
          h.clock.advance(1000);
          connect();
          serve();
          await settle();
          // Every microtask: an async handler's chain is a few hops per message, and a replay
          // of a dozen messages outlasted the hops settle() waits (a message handled, its
          // position not yet moved).
          await new Promise((r) => setImmediate(r));
        }
        expect(problems).toEqual([]);
        expect(h.client.state).toBe('open');
        expect(cur).toEqual({ offset: head, epoch });
        expect(ch.position).toEqual({ offset: head, epoch });
      }),
      {
        numRuns: Number(process.env.MODEL_RUNS ?? 400),
        // Found by long runs: a replay of 11 messages to an async handler outlasted the quiet
        // phase's settling (the model's own flaw, not the client's).
        examples: [
          [[{ k: 'reconnect' }, { k: 'serve' }, { k: 'loseNext' }, { k: 'publish', n: 3 }, { k: 'publish', n: 4 }, { k: 'publish', n: 4 }], true],
          [[{ k: 'reconnect' }, { k: 'serve' }, { k: 'drop' }, { k: 'publish', n: 3 }, { k: 'publish', n: 4 }, { k: 'publish', n: 4 }], true],
        ],
      },
    );
  });
});
