// A replay is written at the pace its client reads it. On the Redis broker a client that
// subscribed with `since` to channels of large messages and then never read (while sending
// a `ping` now and then to stay alive) held a 200-message page (12 MB) per channel and its
// socket queue for good: 20 such clients, +605 MB. 120 such page reads at once stalled Redis
// for every client of the node. Now: pages stop at REPLAY_PAGE_BYTES, a connection holds one
// page at a time whatever it replays (Session.replayTurn), the queue a replay fills stops at
// PACED_QUEUE_BYTES, and replay reads in flight are bounded per node. A client that stops
// reading is not cut for it (a paused consumer is a legitimate one): what it holds is bounded.
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Broker, ReadResult } from '../src/broker/types';
import { REPLAY_PAGE_BYTES } from '../src/replay';
import { REPLAY_READS_IN_FLIGHT } from '../src/replayReads';
import { PACED_QUEUE_BYTES, Session } from '../src/session/session';
import { FakeClock } from './helpers/fakeClock';
import { useRedisServer } from './helpers/redisServer';
import { expectContiguous } from './helpers/seam';
import { settled } from './helpers/settled';
import { waitFor } from './helpers/waitFor';
import type { TestClient } from './helpers/wsClient';

const { available, start, connect, openBroker } = await useRedisServer({ dropClients: 'terminate' });
afterEach(() => vi.restoreAllMocks());

const SIZE = 60_000;
const noLimits = { publishPerSec: 1e6, publishBurst: 1e6 };
/** A minute: the idle windows of the tests below, on the fake clock. */
const MINUTE = 60_000;

const socketOf = (c: TestClient): Socket => (c.ws as unknown as { _socket: Socket })._socket;

/** Every session's close, and the sessions that paced a replay, recorded as they happen. */
function watchSessions() {
  const closes: { code: number; reason: string }[] = [];
  const pacing = new Set<Session>();
  const close = Session.prototype.close;
  vi.spyOn(Session.prototype, 'close').mockImplementation(function (this: Session, code: number, reason: string) {
    closes.push({ code, reason });
    close.call(this, code, reason);
  });
  const paced = Session.prototype.paced;
  vi.spyOn(Session.prototype, 'paced').mockImplementation(function (this: Session) {
    pacing.add(this);
    return paced.call(this);
  });
  return { closes, pacing };
}

async function backlog(broker: Broker, channel: string, n: number): Promise<string> {
  const data = 'y'.repeat(SIZE);
  let epoch = '';
  for (let i = 0; i < n; i += 20) {
    const rs = await Promise.all(Array.from({ length: Math.min(20, n - i) }, () => broker.publish(channel, data)));
    epoch = rs[0]!.epoch;
  }
  return epoch;
}

describe.skipIf(!available)('replays a client does not read (Redis broker)', () => {
  it('a client that never reads its replays of 3 channels, pinging all along, holds one page and the paced queue in all, and stays connected', async () => {
    const clock = new FakeClock();
    const broker = openBroker();
    const epochs = [await backlog(broker, 'big0', 60), await backlog(broker, 'big1', 60), await backlog(broker, 'big2', 60)];
    const server = await start({ broker, clock, ...noLimits });
    const seen = watchSessions();
    const c = await connect();
    epochs.forEach((epoch, i) => c.send({ type: 'sub', ref: i + 1, channel: `big${i}`, since: { offset: 0, epoch } }));
    socketOf(c).pause(); // never reads again
    await waitFor(() => server.stats().framesIn.sub === 3, 'the subscribes to arrive');
    const written = await settled(() => server.stats().framesOut.msg ?? 0);
    expect(written).toBeLessThan(180); // stuck on the client, not done
    const [session] = [...seen.pacing];
    // What the server holds for it, all channels together: one page not yet written, and the
    // queue the replay filled (each replaying channel held a page of its own).
    expect(server.stats().replayBytes).toBeLessThanOrEqual(REPLAY_PAGE_BYTES + SIZE + 200);
    expect(session!.ws.bufferedAmount).toBeLessThanOrEqual(PACED_QUEUE_BYTES + SIZE + 200);

    // Alive by its pings for minutes, like a paused consumer: not cut, and holding no more.
    let pings = server.stats().framesIn.ping ?? 0;
    for (let t = 0; t < 3 * MINUTE; t += 5000) {
      c.send({ type: 'ping' });
      await waitFor(() => (server.stats().framesIn.ping ?? 0) > pings, 'the ping to arrive');
      pings++;
      clock.advance(5000);
    }
    expect(seen.closes).toEqual([]);
    expect(server.stats().replayBytes).toBeLessThanOrEqual(REPLAY_PAGE_BYTES + SIZE + 200);
    // Once it reads, every channel's replay arrives in full and in order.
    socketOf(c).resume();
    for (let i = 0; i < 3; i++) await waitFor(() => c.msgs(`big${i}`).length === 60, 'every replay', 20_000);
    for (let i = 0; i < 3; i++) expectContiguous(c, `big${i}`, 0, 60);
    await waitFor(() => server.stats().replayBytes === 0, 'nothing held once done');
  }, 60_000);

  it('a client that reads its replay slowly but steadily is not closed, and gets it all in order, then live', async () => {
    const clock = new FakeClock();
    const broker = openBroker();
    const epoch = await backlog(broker, 'slow', 400);
    const server = await start({ broker, clock, ...noLimits });
    const seen = watchSessions();
    const c = await connect();
    c.send({ type: 'sub', ref: 1, channel: 'slow', since: { offset: 0, epoch } });
    const raw = socketOf(c);
    raw.pause();
    const msgs = () => server.stats().framesOut.msg ?? 0;
    let written = await settled(msgs);
    let pings = server.stats().framesIn.ping ?? 0;
    let elapsed = 0;
    // Each round: read until the server writes more (some MBs), then nothing for 36 s.
    while (written < 400) {
      raw.resume();
      await waitFor(() => msgs() > written || c.frames.filter((f) => f.type === 'msg').length >= 400, 'the server to write more', 20_000);
      raw.pause();
      written = await settled(msgs, 150);
      for (let t = 0; t < 0.6 * MINUTE; t += 5000) {
        c.send({ type: 'ping' });
        await waitFor(() => (server.stats().framesIn.ping ?? 0) > pings, 'the ping to arrive');
        pings++;
        clock.advance(5000);
        elapsed += 5000;
      }
      expect(seen.closes).toEqual([]);
    }
    expect(elapsed).toBeGreaterThanOrEqual(2 * MINUTE);
    raw.resume();
    await waitFor(() => c.frames.filter((f) => f.type === 'msg').length === 400, 'the whole replay', 20_000);
    const p = await connect();
    await p.publish('slow', 'live', 'live-1');
    await c.next('msg', (m) => m.offset === 401);
    expectContiguous(c, 'slow', 0, 401);
    expect(c.closed).toBeUndefined();
    expect(seen.closes).toEqual([]);
  }, 120_000);

  it('a normal client gets a big backlog (12 MB) in full and in order, in pages of at most REPLAY_PAGE_BYTES', async () => {
    const inner = openBroker();
    const epoch = await backlog(inner, 'bulk', 200);
    const pages: number[] = [];
    const broker: Broker = {
      ...inner,
      async read(channel, after, limit, maxBytes) {
        const r = await inner.read(channel, after, limit, maxBytes);
        pages.push(r.messages.length);
        return r;
      },
    };
    await start({ broker, ...noLimits });
    const c = await connect();
    expect(await c.subscribe('bulk', { offset: 0, epoch })).toMatchObject({ recovered: true, replay: 200, offset: 200 });
    await waitFor(() => c.msgs('bulk').length === 200, 'the whole replay', 20_000);
    expectContiguous(c, 'bulk', 0, 200);
    expect(Math.max(...pages) * SIZE).toBeLessThanOrEqual(REPLAY_PAGE_BYTES + SIZE);
    expect(pages.reduce((a, b) => a + b, 0)).toBe(200);
  }, 30_000);

  it('replay reads in flight on one node are at most REPLAY_READS_IN_FLIGHT; the rest wait their turn and every replay completes', async () => {
    const inner = openBroker();
    const epochs: string[] = [];
    for (let ch = 0; ch < 3; ch++) {
      const rs = await Promise.all(Array.from({ length: 30 }, (_, i) => inner.publish(`many${ch}`, { i })));
      epochs.push(rs[0]!.epoch);
    }
    let waiting: (() => void)[] = [];
    let holding = true;
    const broker: Broker = {
      ...inner,
      async read(channel, after, limit, maxBytes): Promise<ReadResult> {
        if (holding) await new Promise<void>((go) => waiting.push(go));
        return inner.read(channel, after, limit, maxBytes);
      },
    };
    const server = await start({ broker, ...noLimits });
    const clients: TestClient[] = [];
    for (let i = 0; i < 40; i++) clients.push(await connect());
    for (const c of clients) for (let ch = 0; ch < 3; ch++) c.send({ type: 'sub', ref: ch + 1, channel: `many${ch}`, since: { offset: 0, epoch: epochs[ch] } });
    await waitFor(() => server.stats().framesIn.sub === 120, 'every subscribe to arrive');
    await settled(() => waiting.length, 200);
    expect(waiting.length).toBe(REPLAY_READS_IN_FLIGHT);
    holding = false;
    for (const go of waiting) go();
    waiting = [];
    for (const c of clients) {
      for (let ch = 0; ch < 3; ch++) await waitFor(() => c.msgs(`many${ch}`).length === 30, 'every replay', 20_000);
      for (let ch = 0; ch < 3; ch++) expectContiguous(c, `many${ch}`, 0, 30);
    }
  }, 60_000);

  it('a Redis read with maxBytes stops once the data adds up to it (at least one message); without it, at the count', async () => {
    const broker = openBroker();
    await Promise.all(Array.from({ length: 50 }, () => broker.publish('bytes', 'z'.repeat(10_000))));
    const bounded = await broker.read('bytes', 0, 200, 32 * 1024);
    expect(bounded.messages.map((m) => m.offset)).toEqual([1, 2, 3, 4]);
    expect((await broker.read('bytes', 10, 200, 1)).messages.map((m) => m.offset)).toEqual([11]);
    expect((await broker.read('bytes', 0, 200)).messages).toHaveLength(50);
    expect((await broker.read('bytes', 45, 200, 1e9)).messages.map((m) => m.offset)).toEqual([46, 47, 48, 49, 50]);
  });
});
