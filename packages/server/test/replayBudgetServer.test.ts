// The node-wide replay byte budget (`maxReplayBytes`) on a real server and real sockets.
// Each connection's replay holds about a page and its paced queue (~2 MiB) while its client
// does not read, but nothing bounded the sum: 10,000 connections that subscribed with an old
// `since` and never read held ~20 GB. Now page reads past the budget wait, in arrival order,
// until a client reads or a connection closes; nothing is dropped or reordered.
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { memoryBroker } from '../src/broker/memoryBroker';
import { parseCliArgs, USAGE } from '../src/cliArgs';
import { createServer } from '../src/index';
import { REPLAY_PAGE_BYTES } from '../src/replay';
import { Session } from '../src/session/session';
import { useServer } from './helpers/serverFixture';
import { FakeClock } from './helpers/fakeClock';
import { expectContiguous } from './helpers/seam';
import { settled } from './helpers/settled';
import { copyingReads } from './helpers/copyingReads';
import { waitFor } from './helpers/waitFor';
import type { TestClient } from './helpers/wsClient';

const { start, connect } = useServer({ dropClients: 'terminate' });
afterEach(() => vi.restoreAllMocks());

const SIZE = 60_000;
const COUNT = 200; // 12 MB per replay: more than loopback's socket buffers take
const MAX = 3 * 1024 * 1024;
const socketOf = (c: TestClient): Socket => (c.ws as unknown as { _socket: Socket })._socket;

/** A memory broker whose reads return fresh copies bounded by maxBytes, as Redis does; `reads` counts them. */
async function backlogBroker() {
  const inner = memoryBroker({ maxRetainedBytes: Infinity });
  let epoch = '';
  for (let i = 0; i < COUNT; i++) epoch = (await inner.publish('big', 'y'.repeat(SIZE))).epoch;
  const { broker, counts } = copyingReads(inner, SIZE);
  return { broker, epoch, counts };
}

/** Every session that wrote a replay frame, to read what its socket has queued. */
function watchSessions(): Set<Session> {
  const sessions = new Set<Session>();
  const sendRaw = Session.prototype.sendRaw;
  vi.spyOn(Session.prototype, 'sendRaw').mockImplementation(function (this: Session, ...args: Parameters<Session['sendRaw']>) {
    if (args[1] === 'msg') sessions.add(this);
    return sendRaw.apply(this, args);
  });
  return sessions;
}

it('clients that never read their replays hold at most maxReplayBytes (about) in all; a later replay waits its turn; reads go on once some close, and every client gets everything in order once it reads', async () => {
  const { broker, epoch, counts } = await backlogBroker();
  const server = await start({ broker, maxReplayBytes: MAX, publishPerSec: 1e6, publishBurst: 1e6 });
  const sessions = watchSessions();
  const sleepers: TestClient[] = [];
  for (let i = 0; i < 6; i++) {
    const c = await connect();
    socketOf(c).pause(); // never reads (until the end)
    c.send({ type: 'sub', ref: 1, channel: 'big', since: { offset: 0, epoch } });
    sleepers.push(c);
  }
  await waitFor(() => server.stats().framesIn.sub === 6, 'the subscribes');
  await settled(() => counts.reads * 1e6 + (server.stats().framesOut.msg ?? 0), 400);
  // What the server holds of replays: pages not yet written, and frames queued on sockets.
  const held = () => [...sessions].reduce((n, s) => n + s.ws.bufferedAmount, 0) + server.stats().replayBytes;
  // The budget, plus what a page may pass its reservation by (one message) for each
  // connection holding one. Unbounded, six clients held ~2 MiB each.
  const bound = MAX + 6 * SIZE;
  expect(held()).toBeLessThanOrEqual(bound);
  expect(server.stats().replayHeldBytes).toBeGreaterThanOrEqual(held() - 6 * 200); // frames' JSON around the data
  expect(server.stats().replayHeldBytes).toBeLessThanOrEqual(bound + REPLAY_PAGE_BYTES);
  expect(server.stats().replayWaiting).toBeGreaterThan(0);

  // A newcomer waits in line: its first page is not read, so no `subscribed` yet, and no
  // read is retried meanwhile (no polling).
  const late = await connect();
  late.send({ type: 'sub', ref: 1, channel: 'big', since: { offset: 0, epoch } });
  await waitFor(() => server.stats().framesIn.sub === 7, 'the late subscribe');
  const reads = counts.reads;
  await new Promise((r) => setTimeout(r, 500));
  expect(late.frames.some((f) => f.type === 'subscribed')).toBe(false);
  expect(counts.reads).toBe(reads);

  // One that gives up while in line leaves it at once: no page is read for it later.
  const waiting = server.stats().replayWaiting;
  const quitter = await connect();
  quitter.send({ type: 'sub', ref: 1, channel: 'big', since: { offset: 0, epoch } });
  await waitFor(() => server.stats().replayWaiting === waiting + 1, 'the quitter to wait in line');
  quitter.ws.terminate();
  await waitFor(() => server.stats().replayWaiting === waiting, 'the quitter to leave the line');

  // Sleepers that close give back what they held: page reads go on (the others' next pages,
  // first in line, take the room as it comes; a client that never reads holds its share).
  const [gone1, gone2, gone3, ...rest] = sleepers;
  for (const c of [gone1!, gone2!, gone3!]) c.ws.terminate();
  await waitFor(() => counts.reads > reads, 'page reads to go on', 20_000);

  // The ones left read at last, and the newcomer's replay follows: every message, once, in order.
  for (const c of rest) socketOf(c).resume();
  for (const c of [...rest, late]) await waitFor(() => c.msgs('big').length === COUNT, 'every replay', 30_000);
  for (const c of [...rest, late]) expectContiguous(c, 'big', 0, COUNT);
  expect(late.frames.find((f) => f.type === 'subscribed')).toMatchObject({ recovered: true, replay: COUNT, offset: COUNT });
  await waitFor(() => server.stats().replayHeldBytes === 0 && server.stats().replayWaiting === 0, 'nothing held once done');
  expect(server.stats().replayBytes).toBe(0);
}, 90_000);

it('a budget smaller than one page still replays (one page at a time when nothing else is held)', async () => {
  const { broker, epoch } = await backlogBroker();
  const server = await start({ broker, maxReplayBytes: 1000, publishPerSec: 1e6, publishBurst: 1e6 });
  const a = await connect();
  const b = await connect();
  expect(await a.subscribe('big', { offset: 0, epoch })).toMatchObject({ recovered: true, replay: COUNT });
  b.send({ type: 'sub', ref: 1, channel: 'big', since: { offset: 150, epoch } });
  await waitFor(() => a.msgs('big').length === COUNT && b.msgs('big').length === 50, 'both replays', 30_000);
  expectContiguous(a, 'big', 0, COUNT);
  expectContiguous(b, 'big', 150, COUNT);
  await waitFor(() => server.stats().replayHeldBytes === 0, 'nothing held once done');
}, 60_000);

it('clients that never read are evicted (1013) once the full budget has stalled a newcomer for replayStallMs: its subscribe gets its `subscribed` and the whole replay in order', async () => {
  const { broker, epoch } = await backlogBroker();
  const clock = new FakeClock();
  const STALL = 2000;
  const logged: string[] = [];
  const logger = { debug: () => {}, info: () => {}, error: () => {}, warn: (msg: string) => logged.push(msg) };
  // No heartbeat termination meanwhile: real clients that never read ping, and stay.
  const server = await start({ broker, clock, logger, maxReplayBytes: MAX, replayStallMs: STALL, heartbeatMs: 3_600_000, publishPerSec: 1e6, publishBurst: 1e6 });
  const closes: { code: number; reason: string }[] = [];
  const close = Session.prototype.close;
  vi.spyOn(Session.prototype, 'close').mockImplementation(function (this: Session, code: number, reason: string) {
    closes.push({ code, reason });
    return close.call(this, code, reason);
  });
  const sleepers: TestClient[] = [];
  for (let i = 0; i < 3; i++) {
    const c = await connect();
    socketOf(c).pause(); // never reads
    c.send({ type: 'sub', ref: 1, channel: 'big', since: { offset: 0, epoch } });
    sleepers.push(c);
  }
  await waitFor(() => server.stats().framesIn.sub === 3, 'the subscribes');
  await settled(() => server.stats().replayHeldBytes + (server.stats().framesOut.msg ?? 0), 400);
  expect(server.stats().replayWaiting).toBeGreaterThan(0);
  const late = await connect();
  late.send({ type: 'sub', ref: 1, channel: 'big', since: { offset: 0, epoch } });
  await waitFor(() => server.stats().framesIn.sub === 4, 'the late subscribe');
  await new Promise((r) => setTimeout(r, 200));
  expect(late.frames.some((f) => f.type === 'subscribed')).toBe(false);
  expect(server.stats().replayEvictions).toBe(0);

  // Server time runs (in small steps, so a reading client's progress is seen between them):
  // the stuck holders are closed one at a time, each once its predecessor's socket is gone.
  const ticker = setInterval(() => clock.advance(50), 5);
  try {
    await waitFor(() => late.msgs('big').length === COUNT, 'the newcomer\'s whole replay', 60_000);
    // The evicted ones are gone (cut CLOSE_STALL_MS after their 1013: its frame sat behind what they never read).
    await waitFor(() => server.stats().connections === 4 - server.stats().replayEvictions, 'the evicted sockets to close', 20_000);
  } finally {
    clearInterval(ticker);
  }
  expect(late.frames.find((f) => f.type === 'subscribed')).toMatchObject({ recovered: true, replay: COUNT, offset: COUNT });
  expectContiguous(late, 'big', 0, COUNT);
  expect(late.closed).toBeUndefined(); // a client that reads is never evicted
  const evictions = server.stats().replayEvictions;
  expect(evictions).toBeGreaterThanOrEqual(1);
  expect(evictions).toBeLessThanOrEqual(3);
  expect(closes.filter((c) => c.code === 1013 && /^replay stalled: .*retry-after-ms=1000$/.test(c.reason))).toHaveLength(evictions);
  expect(logged.filter((l) => l.startsWith('replay stalled'))).toHaveLength(evictions);
  const text = await (await fetch(`${server.httpUrl}/metrics`)).text();
  expect(text).toMatch(new RegExp(`^lifeline_replay_evictions_total ${evictions}$`, 'm'));
}, 90_000);

describe('maxReplayBytes: option and CLI flag', () => {
  it('createServer takes a positive number or Infinity and refuses 0, negatives and NaN; stats and /metrics tell the held bytes', async () => {
    for (const bad of [0, -1, NaN]) {
      await expect(createServer({ maxReplayBytes: bad })).rejects.toThrow(/maxReplayBytes must be a positive number/);
    }
    const server = await start({ maxReplayBytes: Infinity });
    for (const bad of [0, -1, NaN]) {
      await expect(createServer({ replayStallMs: bad })).rejects.toThrow(/replayStallMs must be a positive number/);
    }
    expect(server.stats()).toMatchObject({ replayHeldBytes: 0, replayWaiting: 0, replayEvictions: 0, acceptErrors: 0 });
    const text = await (await fetch(`${server.httpUrl}/metrics`)).text();
    expect(text).toMatch(/^lifeline_replay_held_bytes 0$/m);
    expect(text).toMatch(/^lifeline_replay_waiting 0$/m);
    expect(text).toMatch(/^lifeline_replay_evictions_total 0$/m);
  });

  it('--replay-stall-ms takes plain digits >= 1, is in --help, and is left to the default when absent', () => {
    expect(parseCliArgs(['--replay-stall-ms', '2500']).replayStallMs).toBe(2500);
    expect(parseCliArgs([]).replayStallMs).toBeUndefined();
    expect(() => parseCliArgs(['--replay-stall-ms', '0'])).toThrow(/--replay-stall-ms must be an integer >= 1/);
    expect(USAGE).toContain('--replay-stall-ms');
  });

  it('--max-replay-bytes takes plain digits >= 1, is in --help, and is left to the default when absent', () => {
    expect(parseCliArgs(['--max-replay-bytes', '1048576']).maxReplayBytes).toBe(1_048_576);
    expect(parseCliArgs([]).maxReplayBytes).toBeUndefined();
    expect(() => parseCliArgs(['--max-replay-bytes', '0'])).toThrow(/--max-replay-bytes must be an integer >= 1/);
    expect(() => parseCliArgs(['--max-replay-bytes', '1e6'])).toThrow(/--max-replay-bytes/);
    expect(USAGE).toContain('--max-replay-bytes');
  });
});

// Found by a review: write callbacks come a whole corked batch (~1 MiB) at a time, so a
// client taking its replay steadily showed no progress by them between batches and was
// evicted as stalled. Progress is also read from the socket (the bytes the kernel took),
// which moves in smaller steps. Server time is fake: it moves only between the client's
// reads, a quarter of replayStallMs at a time, each read a quarter of a corked batch.
it('a client that reads its replay steadily, a corked batch per replayStallMs, is never evicted, however long a newcomer waits', async () => {
  const { broker, epoch } = await backlogBroker();
  const clock = new FakeClock();
  const STALL = 400;
  const server = await start({ broker, clock, maxReplayBytes: 1000, replayStallMs: STALL, heartbeatMs: 3_600_000, publishPerSec: 1e6, publishBurst: 1e6 });
  const slow = await connect();
  const sock = socketOf(slow);
  sock.pause();
  slow.send({ type: 'sub', ref: 1, channel: 'big', since: { offset: 0, epoch } });
  await waitFor(() => server.stats().replayHeldBytes > 0, 'the slow client\'s replay to start');
  const late = await connect();
  late.send({ type: 'sub', ref: 1, channel: 'big', since: { offset: 0, epoch } });
  await waitFor(() => server.stats().replayWaiting > 0, 'the newcomer to wait for the budget');
  for (let step = 0; step < 60; step++) {
    sock.read(256 * 1024);
    await new Promise((r) => setTimeout(r, 15)); // real time for the kernel to move the bytes on
    clock.advance(100);
  }
  expect(server.stats().replayEvictions).toBe(0);
  expect(slow.closed).toBeUndefined();
  // It reads on at full speed: everything, in order; the newcomer then gets its turn.
  sock.resume();
  await waitFor(() => slow.msgs('big').length === COUNT, 'the slow client\'s whole replay', 60_000);
  expectContiguous(slow, 'big', 0, COUNT);
  await waitFor(() => late.msgs('big').length === COUNT, 'the newcomer\'s whole replay', 60_000);
  expect(server.stats().replayEvictions).toBe(0);
}, 90_000);
