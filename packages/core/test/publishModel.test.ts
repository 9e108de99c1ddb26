import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { flushPromises, setup } from './support/harness';

/**
 * The publish path (outbox, acks, re-sends) against a model of the reference server's
 * publish handling (PROTOCOL.md §6): a per-channel store deduplicating by id, acks lost
 * with the connection, a `RATE_LIMITED` or `BROKER_UNAVAILABLE` refusal that blocks the
 * connection's later publishes on that channel until the refused id is re-sent and stored
 * (publish order), reconnects, and outbox limits and TTLs drawn at random.
 *
 * Invariants, because they are what a publisher relies on:
 * - each id is stored at most once (re-sends are deduplicated, never a second message);
 * - a channel's messages are stored in the order they were published;
 * - every publish promise settles, once, and tells the truth: resolved with the offset the
 *   message is stored at, or rejected and never stored;
 * - once the network is quiet, the outbox is empty (nothing is kept forever).
 *
 * fast-check prints the seed and the shrunk command list of a failure.
 */

const W = <T,>(arbitrary: fc.Arbitrary<T>, weight: number) => ({ arbitrary, weight });
const k = <K extends string>(k: K) => fc.constant({ k } as const);
const cmd = fc.oneof(
  W(fc.integer({ min: 0, max: 1 }).map((c) => ({ k: 'publish', c }) as const), 10),
  W(k('serve'), 6),
  W(k('serveOne'), 4), // one frame only: replies interleave with publishes
  W(k('serveLoseAcks'), 2), // stored, then the connection drops before the acks arrive
  W(k('drop'), 2),
  W(k('reconnect'), 4),
  W(k('rateLimitNext'), 2),
  W(k('brokerNext'), 1),
  W(fc.integer({ min: 1, max: 3000 }).map((ms) => ({ k: 'tick', ms }) as const), 4),
);
type Cmd = typeof cmd extends fc.Arbitrary<infer T> ? T : never;
type Outbox = { maxMessages: number; overflow: 'reject' | 'drop-oldest' | 'drop-newest'; ttlMs: number };

async function run(cmds: Cmd[], outbox: Outbox) {
  const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 10, maxDelayMs: 10 }, outbox });
  const problems: string[] = [];
  const channels = ['a', 'b'] as const;
  type Ch = (typeof channels)[number];
  const published: Record<Ch, string[]> = { a: [], b: [] }; // ids in publish order
  const stored: Record<Ch, string[]> = { a: [], b: [] }; // offset o holds stored[o - 1]
  const results = new Map<string, { ch: Ch; ok?: { offset: number }; err?: { code: string } }>();
  // Per connection and channel: the refused ids awaited in turn (publish order, PROTOCOL §6).
  let awaited: Record<Ch, string[]> = { a: [], b: [] };
  let refuseNext: 'RATE_LIMITED' | 'BROKER_UNAVAILABLE' | null = null;
  let processed = 0;
  let n = 0;
  const sock = () => h.sockets.at(-1);
  const connect = () => {
    const s = sock();
    if (!s || s.readyState !== 0) return;
    s.open();
    s.push({ type: 'welcome', v: 1, session: 's', heartbeatMs: 60_000, serverTime: 0, limits: { maxFrameBytes: 65536, maxChannels: 100, publishPerSec: 100, publishBurst: 200 } });
    processed = 0;
    awaited = { a: [], b: [] };
  };
  const reply = (f: { ref: number; channel: Ch; id: string }) => {
    const aw = awaited[f.channel];
    const at = stored[f.channel].indexOf(f.id);
    const refuse = (code: string, retryAfterMs: number) => {
      if (!aw.includes(f.id)) aw.push(f.id);
      return { type: 'error', ref: f.ref, channel: f.channel, code, message: 'refused', retryAfterMs };
    };
    if (refuseNext && at < 0 && (!aw.length || aw[0] === f.id)) {
      const code = refuseNext;
      refuseNext = null;
      return refuse(code, 50);
    }
    if (aw.length && aw[0] !== f.id) return refuse('RATE_LIMITED', 20); // behind the block
    if (aw.length) aw.shift();
    if (at >= 0) return { type: 'ack', ref: f.ref, channel: f.channel, id: f.id, offset: at + 1, epoch: 'e1', duplicate: true };
    stored[f.channel].push(f.id);
    return { type: 'ack', ref: f.ref, channel: f.channel, id: f.id, offset: stored[f.channel].length, epoch: 'e1' };
  };
  const serve = (max = Infinity, loseAcks = false) => {
    const s = sock();
    if (s?.readyState !== 1) return;
    const frames = s.sent.slice(1).map((t) => JSON.parse(t));
    for (let i = 0; processed < frames.length && i < max; processed++) {
      const f = frames[processed];
      if (f.type !== 'pub') continue;
      i++;
      const r = reply(f);
      if (!loseAcks) s.push(r);
    }
  };
  for (const c of cmds) {
    switch (c.k) {
      case 'publish': {
        const ch = channels[c.c]!;
        const id = `m${++n}`;
        published[ch].push(id);
        const r: { ch: Ch; ok?: { offset: number }; err?: { code: string } } = { ch };
        results.set(id, r);
        h.client.publish(ch, id, { id }).then(
          (v) => {
            if (r.ok || r.err) problems.push(`${id} settled twice`);
            r.ok = v;
          },
          (e) => {
            if (r.ok || r.err) problems.push(`${id} settled twice`);
            r.err = e;
          },
        );
        break;
      }
      case 'serve': serve(); break;
      case 'serveOne': serve(1); break;
      case 'serveLoseAcks':
        serve(Infinity, true);
        sock()?.serverClose(1006);
        break;
      case 'drop': sock()?.serverClose(1006); break;
      case 'reconnect': h.clock.advance(10); connect(); break;
      case 'rateLimitNext': refuseNext = 'RATE_LIMITED'; break;
      case 'brokerNext': refuseNext = 'BROKER_UNAVAILABLE'; break;
      case 'tick': h.clock.advance(c.ms); break;
    }
    await flushPromises();
  }
  // Quiet: no more refusals, the connection comes back and every frame is answered.
  refuseNext = null;
  for (let i = 0; i < 40; i++) {
    h.clock.advance(100);
    connect();
    serve();
    await flushPromises();
  }
  for (const ch of channels) {
    const st = stored[ch];
    if (new Set(st).size !== st.length) problems.push(`${ch} stored twice: ${st}`);
    const order = st.map((id) => published[ch].indexOf(id));
    if (order.some((p, i) => i > 0 && p < order[i - 1]!)) problems.push(`${ch} stored out of order: ${st}`);
  }
  for (const [id, r] of results) {
    const at = stored[r.ch].indexOf(id);
    if (!r.ok && !r.err) problems.push(`${id} never settled`);
    if (r.ok && r.ok.offset !== at + 1) problems.push(`${id} resolved at ${r.ok.offset} but stored at ${at + 1}`);
    if (r.err && at >= 0) problems.push(`${id} rejected (${r.err.code}) but stored`);
  }
  const st = h.client.stats();
  if (st.outboxDepth || st.outboxBytes) problems.push(`outbox left ${st.outboxDepth} messages, ${st.outboxBytes} B`);
  return problems;
}

describe('publish against a model server: lost acks, refusals that block, reconnects, outbox limits', () => {
  it('each id stored once, in publish order; every promise settles once and truthfully; quiet → outbox empty', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(cmd, { minLength: 10, maxLength: 60, size: 'max' }),
        fc.record({
          maxMessages: fc.integer({ min: 2, max: 20 }),
          overflow: fc.constantFrom('reject', 'drop-oldest', 'drop-newest'),
          ttlMs: fc.constantFrom(Infinity, 500, 5000),
        }),
        async (cmds, outbox) => {
          expect(await run(cmds, outbox)).toEqual([]);
        },
      ),
      { numRuns: Number(process.env.MODEL_RUNS ?? 1000) },
    );
  });
});
