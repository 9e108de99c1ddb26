// replayStream.test.ts on the Redis broker: a replay is read a page at a time (each page
// once the previous one was written), live traffic published meanwhile follows it once,
// and a log trimmed under a replay that was promised whole closes the connection (1013)
// so that subscribing again tells the gap.
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type LifelineServer } from '../src/createServer';
import { redisBroker, type RedisBroker } from '../src/broker/redisBroker';
import { REPLAY_PAGE } from '../src/replay';
import { gatedReads, type GatedReads } from './helpers/gatedReads';
import { expectContiguous, publishMany } from './helpers/seam';
import { TestClient } from './helpers/wsClient';
import { REDIS_URL, redisSuite, waitFor } from './redisTestUtils';

const { available, prefix } = await redisSuite();
const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(retention: number): Promise<{ server: LifelineServer; gate: GatedReads }> {
  const broker: RedisBroker = redisBroker({ url: REDIS_URL, keyPrefix: prefix, retention, onError: () => undefined });
  const gate = gatedReads(broker);
  const server = await createServer({ port: 0, broker: gate.broker, publishPerSec: 1e6, publishBurst: 1e6 });
  cleanups.push(async () => {
    await server.close();
    await broker.close();
  });
  // Pushed last, so it runs first: a failed test must not leave a read (and the close) held.
  cleanups.push(() => gate.release());
  return { server, gate };
}
async function connect(server: LifelineServer): Promise<TestClient> {
  const c = await TestClient.connect(server.url);
  cleanups.push(() => c.close());
  return c;
}
/** The held read is waiting and the client has exactly `n` messages of `channel`. */
async function heldAfter(gate: GatedReads, s: TestClient, channel: string, n: number): Promise<void> {
  await waitFor(() => gate.held() !== undefined, 'the next page read');
  await waitFor(() => s.msgs(channel).length >= n, `${n} replayed messages`);
  expect(s.msgs(channel)).toHaveLength(n);
}

describe.skipIf(!available)('replay streamed page by page (Redis broker)', () => {
  it('pages are read one at a time as they are written; live messages published meanwhile follow once', async () => {
    const { server, gate } = await start(5000);
    const p = await connect(server);
    const total = REPLAY_PAGE + REPLAY_PAGE / 2;
    const last = await publishMany(p, 'pages', 1, total);
    const s = await connect(server);
    gate.holdRead(2);
    const reply = await s.subscribe('pages', { offset: 0, epoch: last.epoch as string });
    expect(reply).toMatchObject({ recovered: true, replay: total, offset: total });
    await heldAfter(gate, s, 'pages', REPLAY_PAGE);
    await publishMany(p, 'pages', total + 1, 25);
    gate.release();
    await s.next('msg', (m) => m.offset === total + 25, 0, 15_000);
    expectContiguous(s, 'pages', 0, total + 25);
    expect(gate.reads.map((r) => r.after)).toEqual([0, REPLAY_PAGE]);
    expect(s.closed).toBeUndefined();
  });

  it('retention trimming the rest of a promised replay closes 1013; subscribing again answers recovered: false', async () => {
    const retention = 2 * REPLAY_PAGE;
    const { server, gate } = await start(retention);
    const p = await connect(server);
    const last = await publishMany(p, 'cut', 1, retention);
    const epoch = last.epoch as string;
    const s = await connect(server);
    gate.holdRead(2);
    expect(await s.subscribe('cut', { offset: 0, epoch })).toMatchObject({ recovered: true, replay: retention });
    await heldAfter(gate, s, 'cut', REPLAY_PAGE);
    await publishMany(p, 'cut', 10_000, retention); // MAXLEN trims all the replay still owed
    gate.release();
    expect(await s.waitClosed()).toEqual({ code: 1013, reason: 'replay interrupted; retry-after-ms=100' });
    expectContiguous(s, 'cut', 0, REPLAY_PAGE);
    const again = await connect(server);
    expect(await again.subscribe('cut', { offset: REPLAY_PAGE, epoch })).toMatchObject({
      recovered: false,
      reason: 'out-of-retention',
      offset: 2 * retention,
      epoch,
    });
  });

  it('after recovered: false the retained tail is read page by page and followed once by live messages', async () => {
    const retention = REPLAY_PAGE + REPLAY_PAGE / 2;
    const { server, gate } = await start(retention);
    const p = await connect(server);
    const last = await publishMany(p, 'tail', 1, retention + 40); // retained: 41..head
    const head = retention + 40;
    const s = await connect(server);
    gate.holdRead(2);
    const reply = await s.subscribe('tail', { offset: 5, epoch: last.epoch as string });
    expect(reply).toMatchObject({ recovered: false, reason: 'out-of-retention', replay: retention, offset: head });
    await heldAfter(gate, s, 'tail', REPLAY_PAGE);
    await publishMany(p, 'tail', head + 1, 10);
    gate.release();
    await s.next('msg', (m) => m.offset === head + 10, 0, 15_000);
    expectContiguous(s, 'tail', 40, head + 10);
    expect(gate.reads.map((r) => r.after)).toEqual([5, 40 + REPLAY_PAGE]);
    // another epoch's position gets the same tail, from the log's start
    const other = await connect(server);
    const r2 = await other.subscribe('tail', { offset: 5, epoch: 'e_gone' });
    expect(r2).toMatchObject({ recovered: false, reason: 'epoch-changed', replay: retention, offset: head + 10, epoch: last.epoch });
    await other.next('msg', (m) => m.offset === head + 10, 0, 15_000);
    expectContiguous(other, 'tail', 50, head + 10);
    expect(other.closed).toBeUndefined();
  });

  it('an empty log after recovered: false: no replay field, live continues', async () => {
    const { server } = await start(100);
    const s = await connect(server);
    const reply = await s.subscribe('nothing', { offset: 3, epoch: 'e_gone' });
    expect(reply).toMatchObject({ recovered: false, reason: 'epoch-changed', offset: 0 });
    expect(reply.replay).toBeUndefined();
    const p = await connect(server);
    await p.publish('nothing', 1, 'n1');
    await s.next('msg', (m) => m.offset === 1);
    expectContiguous(s, 'nothing', 0, 1);
  });

  it('retention trimming the rest of the retained tail closes 1013', async () => {
    const retention = 2 * REPLAY_PAGE;
    const { server, gate } = await start(retention);
    const p = await connect(server);
    const last = await publishMany(p, 'tcut', 1, retention + 30); // retained: 31..head
    const s = await connect(server);
    gate.holdRead(2);
    expect(await s.subscribe('tcut', { offset: 3, epoch: last.epoch as string })).toMatchObject({
      recovered: false,
      reason: 'out-of-retention',
      replay: retention,
    });
    await heldAfter(gate, s, 'tcut', REPLAY_PAGE);
    await publishMany(p, 'tcut', 10_000, retention);
    gate.release();
    expect(await s.waitClosed()).toEqual({ code: 1013, reason: 'replay interrupted; retry-after-ms=100' });
    expectContiguous(s, 'tcut', 30, 30 + REPLAY_PAGE);
  });
});
