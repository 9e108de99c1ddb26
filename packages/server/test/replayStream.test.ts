// A replay is read from the broker a page at a time, each page only once the previous one
// has been written: a subscriber holds about one page of its backlog, not all of it. When
// a later page shows the rest is gone after `subscribed` promised it, the connection is
// closed (1013) so the client subscribes again and is told the loss; it never goes live
// past a silent hole. The retained tail sent after a loss (recovered: false) is held to
// the same rules.
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, type GapEvent, type LifelineClient, type Message } from '@lifeline/core';
import { memoryBroker, type MemoryBroker } from '../src/index';
import { BrokerUnavailableError } from '../src/broker/redisErrors';
import { REPLAY_PAGE } from '../src/replay';
import { gatedReads, type GatedReads } from './helpers/gatedReads';
import { expectContiguous, publishMany } from './helpers/seam';
import { useServer } from './helpers/serverFixture';
import { waitFor } from './helpers/waitFor';
import type { TestClient } from './helpers/wsClient';

const fixture = useServer();
const { connect } = fixture;
const cores: LifelineClient[] = [];
const gates: GatedReads[] = [];
// Registered after useServer(), so it runs before the fixture closes the server: a test
// failing while a read is held must not hold the server's close too.
afterEach(async () => {
  for (const g of gates.splice(0)) g.release();
  await Promise.all(cores.splice(0).map((c) => c.close()));
});

const noLimits = { publishPerSec: 1e6, publishBurst: 1e6 };

async function start(retention: number): Promise<{ inner: MemoryBroker; gate: GatedReads; p: TestClient }> {
  const inner = memoryBroker({ retention });
  const gate = gatedReads(inner);
  gates.push(gate);
  await fixture.start({ ...noLimits, broker: gate.broker });
  const p = await connect();
  return { inner, gate, p };
}

/** Waits for the held read, then for the client to have exactly `n` messages of `channel` (nothing more can come while it is held). */
async function heldAfter(gate: GatedReads, s: TestClient, channel: string, n: number): Promise<void> {
  await waitFor(() => gate.held(), 'the next page read');
  await waitFor(() => s.msgs(channel).length >= n || undefined, `${n} replayed messages`);
  expect(s.msgs(channel)).toHaveLength(n);
}

describe('replay streamed page by page', () => {
  it('a replay of several pages arrives complete and in order, each page read only after the previous one was written', async () => {
    const { gate, p } = await start(5000);
    const total = 2 * REPLAY_PAGE + REPLAY_PAGE / 2;
    const last = await publishMany(p, 'pages', 1, total);
    const s = await connect();
    gate.holdRead(2);
    gate.holdRead(3);
    const reply = await s.subscribe('pages', { offset: 0, epoch: last.epoch as string });
    expect(reply).toMatchObject({ recovered: true, replay: total, offset: total });
    // While the second page is being read, the first is on the wire, and only the first.
    await heldAfter(gate, s, 'pages', REPLAY_PAGE);
    expect(gate.held()).toMatchObject({ n: 2, after: REPLAY_PAGE });
    gate.release();
    await heldAfter(gate, s, 'pages', 2 * REPLAY_PAGE);
    expect(gate.held()).toMatchObject({ n: 3, after: 2 * REPLAY_PAGE });
    gate.release();
    await s.next('msg', (m) => m.offset === total);
    expectContiguous(s, 'pages', 0, total);
    // one read per page, none larger than a page
    expect(gate.reads.map((r) => r.after)).toEqual([0, REPLAY_PAGE, 2 * REPLAY_PAGE]);
    expect(gate.reads.every((r) => r.limit <= REPLAY_PAGE)).toBe(true);
    expect(s.closed).toBeUndefined();
  });

  it('live messages published while the replay waits between pages arrive after it, each exactly once', async () => {
    const { gate, p } = await start(5000);
    const total = REPLAY_PAGE + 50;
    const last = await publishMany(p, 'seam', 1, total);
    const s = await connect();
    gate.holdRead(2);
    await s.subscribe('seam', { offset: 0, epoch: last.epoch as string });
    await heldAfter(gate, s, 'seam', REPLAY_PAGE);
    // published after the head the reply named, while the replay is not finished
    await publishMany(p, 'seam', total + 1, 30);
    expect(s.msgs('seam')).toHaveLength(REPLAY_PAGE); // held for the subscription, not sent yet
    gate.release();
    await s.next('msg', (m) => m.offset === total + 30);
    expectContiguous(s, 'seam', 0, total + 30);
    expect(s.closed).toBeUndefined();
  });

  for (const [label, breakIt, reason, retryAfterMs] of [
    [
      'retention trims the rest',
      async ({ p, retention }: Ctx) => void (await publishMany(p, 'cut', 10_000, retention)),
      'out-of-retention',
      100,
    ],
    ['the log is reset (new epoch)', async ({ inner }: Ctx) => inner.reset(), 'epoch-changed', 100],
  ] as const) {
    it(`${label} between pages after subscribed promised them: closed 1013, and subscribing again tells the gap (${reason})`, async () => {
      const retention = 2 * REPLAY_PAGE;
      const { inner, gate, p } = await start(retention);
      const last = await publishMany(p, 'cut', 1, retention);
      const epoch = last.epoch as string;
      const s = await connect();
      gate.holdRead(2);
      const reply = await s.subscribe('cut', { offset: 0, epoch });
      expect(reply).toMatchObject({ recovered: true, replay: retention, offset: retention });
      await heldAfter(gate, s, 'cut', REPLAY_PAGE);
      await breakIt({ p, inner, retention });
      gate.release();
      expect(await s.waitClosed()).toEqual({ code: 1013, reason: `replay interrupted; retry-after-ms=${retryAfterMs}` });
      // what was sent is the promised replay's start, in order, and nothing after it
      expectContiguous(s, 'cut', 0, REPLAY_PAGE);

      const again = await connect();
      const head = await p.subscribe('cut');
      const answer = await again.subscribe('cut', { offset: REPLAY_PAGE, epoch });
      expect(answer).toMatchObject({ recovered: false, reason, offset: head.offset, epoch: head.epoch });
      // the retained tail follows the loss: the window retained after the trim, none of a reset log
      expect(answer.replay).toBe(reason === 'out-of-retention' ? retention : undefined);
    });
  }

  it('the tail after an epoch change arrives page by page, complete and in order, then live', async () => {
    const { inner, gate, p } = await start(5000);
    const old = (await publishMany(p, 'tail', 1, 10)).epoch as string;
    await inner.reset();
    const total = 2 * REPLAY_PAGE + REPLAY_PAGE / 2;
    await publishMany(p, 'tail', 1, total);
    const s = await connect();
    gate.holdRead(3);
    const reply = await s.subscribe('tail', { offset: 10, epoch: old });
    expect(reply).toMatchObject({ recovered: false, reason: 'epoch-changed', replay: total, offset: total });
    await heldAfter(gate, s, 'tail', REPLAY_PAGE);
    await publishMany(p, 'tail', total + 1, 5); // live meanwhile: held until the tail is written
    gate.release();
    await s.next('msg', (m) => m.offset === total + 5);
    expectContiguous(s, 'tail', 0, total + 5);
    // the old position, the new log from its start, then one read per page
    expect(gate.reads.map((r) => r.after)).toEqual([10, 0, REPLAY_PAGE, 2 * REPLAY_PAGE]);
    expect(s.closed).toBeUndefined();
  });

  for (const [label, breakIt, reason] of [
    ['retention trims the rest', async ({ p, retention }: Ctx) => void (await publishMany(p, 'tcut', 10_000, retention)), 'out-of-retention'],
    ['the log is reset (new epoch)', async ({ inner }: Ctx) => inner.reset(), 'epoch-changed'],
  ] as const) {
    it(`${label} under the retained tail sent after recovered: false: closed 1013 (${reason})`, async () => {
      const retention = 2 * REPLAY_PAGE;
      const { inner, gate, p } = await start(retention);
      const last = await publishMany(p, 'tcut', 1, retention + 50); // retained: 51..450
      const s = await connect();
      gate.holdRead(2);
      const reply = await s.subscribe('tcut', { offset: 10, epoch: last.epoch as string });
      expect(reply).toMatchObject({ recovered: false, reason: 'out-of-retention', replay: retention, offset: retention + 50 });
      await heldAfter(gate, s, 'tcut', REPLAY_PAGE);
      await breakIt({ p, inner, retention });
      gate.release();
      expect(await s.waitClosed()).toEqual({ code: 1013, reason: 'replay interrupted; retry-after-ms=100' });
      // the tail's start, in order, and nothing after it
      expectContiguous(s, 'tcut', 50, 50 + REPLAY_PAGE);
    });
  }

  it('a broker failure between pages closes 1013 after a second; subscribing again replays the rest (nothing was lost)', async () => {
    const { gate, p } = await start(5000);
    const total = REPLAY_PAGE + 20;
    const last = await publishMany(p, 'fail', 1, total);
    const epoch = last.epoch as string;
    const s = await connect();
    gate.holdRead(2);
    await s.subscribe('fail', { offset: 0, epoch });
    await heldAfter(gate, s, 'fail', REPLAY_PAGE);
    gate.release(new BrokerUnavailableError('broker down'));
    expect(await s.waitClosed()).toEqual({ code: 1013, reason: 'replay interrupted; retry-after-ms=1000' });
    expectContiguous(s, 'fail', 0, REPLAY_PAGE);
    const again = await connect();
    expect(await again.subscribe('fail', { offset: REPLAY_PAGE, epoch })).toMatchObject({ recovered: true, replay: 20, offset: total });
    await again.next('msg', (m) => m.offset === total);
    expectContiguous(again, 'fail', REPLAY_PAGE, total);
  });

  it('the reference client, cut off mid-replay by trimming, reconnects and raises a gap from what it had: no silent skip, no duplicate', async () => {
    const retention = 2 * REPLAY_PAGE;
    const { gate, p } = await start(retention);
    const last = await publishMany(p, 'core', 1, retention);
    const epoch = last.epoch as string;
    gate.holdRead(2);
    const c = createClient({ url: `${fixture.server.url}/v1`, lifecycle: false, reconnect: { initialDelayMs: 20, maxDelayMs: 200 } });
    cores.push(c);
    const ch = c.channel<{ i: number }>('core', { since: { offset: 0, epoch } });
    const got: Message<{ i: number }>[] = [];
    const gaps: GapEvent[] = [];
    ch.on('gap', (g) => gaps.push(g));
    ch.subscribe((m) => void got.push(m));
    await waitFor(() => gate.held(), 'the second page read');
    await waitFor(() => got.length >= REPLAY_PAGE || undefined, 'the first page');
    await publishMany(p, 'core', 10_000, retention); // trims everything the replay still owed
    gate.release();
    await waitFor(() => gaps.length > 0 || undefined, 'the gap after reconnecting');
    // the gap ends where the retained tail starts; the tail follows it
    expect(gaps).toEqual([
      { channel: 'core', from: { offset: REPLAY_PAGE, epoch }, to: { offset: retention, epoch }, reason: 'out-of-retention' },
    ]);
    expect(c.stats().lastCloseCode).toBe(1013);
    await publishMany(p, 'core', 20_000, 1);
    await waitFor(() => got.at(-1)?.offset === 2 * retention + 1 || undefined, 'live after the gap');
    const upTo = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
    expect(got.map((m) => m.offset)).toEqual([...upTo(1, REPLAY_PAGE), ...upTo(retention + 1, 2 * retention + 1)]);
  });
});

interface Ctx {
  p: TestClient;
  inner: MemoryBroker;
  retention: number;
}
