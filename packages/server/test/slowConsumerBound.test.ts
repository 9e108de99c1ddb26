// maxBufferedBytes bounds what one connection holds in all: its socket queue plus the live
// traffic held for every subscription still replaying (PROTOCOL.md §17, slow consumers).
// Each subscription used to check only its own held bytes, so one connection replaying k
// channels held k × the limit; what the others held stayed after the 1013 until the
// socket was torn down; and a peer that was not reading never saw its 1013 (the close
// frame queued behind the limit) while the server kept the queue for ws's 30 s timeout.
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { WebSocket } from 'ws';
import type { ServerContext } from '../src/context';
import { memoryBroker, type Broker } from '../src/index';
import { resolveOptions } from '../src/options';
import { BrokerUnavailableError } from '../src/broker/redisErrors';
import { REPLAY_PAGE } from '../src/replay';
import { CLOSE_STALL_MS, Session } from '../src/session/session';
import { ChannelSubscription } from '../src/session/subscription';
import { StatsCounter } from '../src/stats';
import { FakeClock } from './helpers/fakeClock';
import { gatedReads, type GatedReads } from './helpers/gatedReads';
import { expectContiguous } from './helpers/seam';
import { useServer } from './helpers/serverFixture';
import { waitFor } from './helpers/waitFor';
import type { TestClient } from './helpers/wsClient';

const fixture = useServer({ dropClients: 'terminate' });
const { start, connect } = fixture;
const releases: (() => void)[] = [];
// Registered after useServer(): runs before the fixture closes the server, so a held read
// cannot hold the close too.
afterEach(() => {
  for (const r of releases.splice(0)) r();
  vi.restoreAllMocks();
});

const noLimits = { publishPerSec: 1e6, publishBurst: 1e6 };
const SLOW = { code: 1013, reason: 'slow consumer; retry-after-ms=1000' };

/** Every log read waits while `hold` is on (live traffic piles up for the subscriptions replaying meanwhile). */
function holdingReads(): { broker: Broker; hold(): void; release(): void } {
  const inner = memoryBroker();
  let gate: Promise<void> | undefined;
  let open: () => void = () => undefined;
  const release = (): void => {
    gate = undefined;
    open();
  };
  releases.push(release);
  return {
    broker: {
      ...inner,
      async read(channel, after, limit) {
        if (gate) await gate;
        return inner.read(channel, after, limit);
      },
    },
    hold() {
      gate = new Promise<void>((r) => (open = r));
    },
    release,
  };
}

/** The server-side subscriptions as they are created (white box: what each one holds). */
function watchSubscriptions(): ChannelSubscription[] {
  const subs: ChannelSubscription[] = [];
  const hold = ChannelSubscription.prototype.hold;
  vi.spyOn(ChannelSubscription.prototype, 'hold').mockImplementation(function (this: ChannelSubscription) {
    if (!subs.includes(this)) subs.push(this);
    return hold.call(this);
  });
  return subs;
}

const sessionOf = (sub: ChannelSubscription): Session => (sub as unknown as { session: Session }).session;

/** What every subscription held when the session's slow-consumer close was sent. */
function watchSlowCloses(): { heldAtClose: number[][]; sessions: Session[] } {
  const heldAtClose: number[][] = [];
  const sessions: Session[] = [];
  const close = Session.prototype.closeSlowConsumer;
  vi.spyOn(Session.prototype, 'closeSlowConsumer').mockImplementation(function (this: Session) {
    close.call(this);
    sessions.push(this);
    heldAtClose.push([this.heldBytes, ...[...this.subs.values()].map((s) => s.heldBytes)]);
  });
  return { heldAtClose, sessions };
}

function pauseReads(c: TestClient): { resume(): void } {
  const raw = (c.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
  raw.pause();
  return { resume: () => raw.resume() };
}

/** Publishes `count` messages of `bytes` each on `channel` and waits for every ack. */
async function publishSized(p: TestClient, channel: string, count: number, bytes: number, tag: string): Promise<void> {
  const data = 'x'.repeat(bytes);
  const refs: number[] = [];
  for (let i = 0; i < count; i++) {
    const ref = p.nextRef();
    refs.push(ref);
    p.send({ type: 'pub', ref, channel, data, id: `${tag}-${i}` });
  }
  const last = refs.at(-1)!;
  await p.next('ack', (f) => f.ref === last, 0, 15_000);
}

describe('slow consumers: one bound per connection', () => {
  it('live traffic held for several replaying subscriptions of one connection is added up: 1013 once the sum passes maxBufferedBytes', async () => {
    const limit = 128 * 1024;
    const reads = holdingReads();
    const server = await start({ ...noLimits, broker: reads.broker, maxBufferedBytes: limit });
    const subs = watchSubscriptions();
    const p = await connect();
    const channels = ['sum-a', 'sum-b', 'sum-c', 'sum-d'];
    const epochs = await Promise.all(channels.map(async (ch, i) => (await p.publish(ch, 'x', `first-${i}`)).epoch as string));
    const ok = await connect(); // live on one of them: not affected
    await ok.subscribe('sum-a');
    const s = await connect();
    reads.hold();
    channels.forEach((channel, i) => s.send({ type: 'sub', ref: i + 1, channel, since: { offset: 0, epoch: epochs[i] } }));
    await waitFor(() => server.stats().framesIn.sub === 1 + channels.length, 'the subscribes to reach the server');
    // 6 × 8 KB per channel: 48 KB each, well under the limit, 192 KB together, well over it.
    for (const ch of channels) await publishSized(p, ch, 6, 8000, ch);
    const closed = await s.waitClosed();
    expect(closed).toEqual(SLOW);
    // What was held for it is gone at once, not when its socket is torn down.
    const mine = subs.filter((sub) => sessionOf(sub) === sessionOf(subs.find((x) => x.channel === 'sum-b')!));
    expect(mine).toHaveLength(channels.length);
    expect(mine.map((sub) => sub.heldBytes)).toEqual([0, 0, 0, 0]);
    expect(sessionOf(mine[0]!).heldBytes).toBe(0);
    await ok.next('msg', (m) => m.offset === 7);
    expect(ok.closed).toBeUndefined();
  });

  it('the slow-consumer close drops what every subscription of the connection holds, not only the one over the limit', async () => {
    const limit = 128 * 1024;
    const reads = holdingReads();
    const server = await start({ ...noLimits, broker: reads.broker, maxBufferedBytes: limit });
    const { heldAtClose } = watchSlowCloses();
    const p = await connect();
    const first = await p.publish('drop-big', 'x', 'first-big');
    const small = await p.publish('drop-small', 'x', 'first-small');
    const s = await connect();
    pauseReads(s); // the close handshake cannot finish: the socket stays up after the 1013
    reads.hold();
    s.send({ type: 'sub', ref: 1, channel: 'drop-small', since: { offset: 0, epoch: small.epoch } });
    s.send({ type: 'sub', ref: 2, channel: 'drop-big', since: { offset: 0, epoch: first.epoch } });
    await waitFor(() => server.stats().framesIn.sub === 2, 'the subscribes to reach the server');
    await publishSized(p, 'drop-small', 4, 8000, 'small'); // held: 32 KB
    await publishSized(p, 'drop-big', 20, 8000, 'big'); // held: 160 KB, over the limit on its own
    await waitFor(() => heldAtClose.length > 0 || undefined, 'the slow-consumer close');
    expect(heldAtClose).toEqual([[0, 0, 0]]);
    expect(server.stats().connections).toBe(2); // still there: it does not read its close
  });

  it('what a subscribe that failed had held stops counting: the connection is not closed for it later', async () => {
    const limit = 128 * 1024;
    const gate: GatedReads = gatedReads(memoryBroker());
    releases.push(() => gate.release());
    const server = await start({ ...noLimits, broker: gate.broker, maxBufferedBytes: limit });
    const p = await connect();
    const a = await p.publish('failed-a', 'x', 'first-a');
    const b = await p.publish('failed-b', 'x', 'first-b');
    const s = await connect();
    gate.holdRead(1);
    s.send({ type: 'sub', ref: 1, channel: 'failed-a', since: { offset: 0, epoch: a.epoch } });
    await waitFor(() => gate.held(), 'the first subscribe reading the log');
    await publishSized(p, 'failed-a', 11, 8000, 'a'); // held for it: 88 KB
    gate.release(new BrokerUnavailableError('broker down'));
    await s.next('error', (f) => f.ref === 1 && f.code === 'BROKER_UNAVAILABLE');
    gate.holdRead(2);
    s.send({ type: 'sub', ref: 2, channel: 'failed-b', since: { offset: 0, epoch: b.epoch } });
    await waitFor(() => gate.held(), 'the second subscribe reading the log');
    await publishSized(p, 'failed-b', 8, 8000, 'b'); // held: 64 KB; with the failed one's 88 KB, over the limit
    gate.release();
    await s.next('msg', (m) => m.channel === 'failed-b' && m.offset === 9);
    expect(s.closed).toBeUndefined();
    expectContiguous(s, 'failed-b', 0, 9);
    expect(s.msgs('failed-a')).toHaveLength(0);
    expect(server.stats().connections).toBe(2);
  });

  it('a peer that does not read its 1013 is cut once its queue has not shrunk for CLOSE_STALL_MS (server clock), freeing it', async () => {
    const clock = new FakeClock();
    const server = await start({ ...noLimits, clock, maxBufferedBytes: 256 * 1024 });
    const { sessions } = watchSlowCloses();
    const s = await connect();
    await s.subscribe('stuck');
    const p = await connect();
    const reading = pauseReads(s);
    // 60 KB messages until the server gives up on it (loopback buffers take a few MB first); bounded.
    for (let batch = 0; batch < 30 && sessions.length === 0; batch++) await publishSized(p, 'stuck', 20, 60_000, `stuck-${batch}`);
    expect(sessions).toHaveLength(1);
    const raw = (sessions[0]!.ws as unknown as { _socket: { destroyed: boolean } })._socket;
    expect(sessions[0]!.ws.bufferedAmount).toBeGreaterThan(0); // the close frame is behind this
    clock.advance(CLOSE_STALL_MS - 1);
    expect(raw.destroyed).toBe(false);
    clock.advance(1);
    expect(raw.destroyed).toBe(true);
    await waitFor(() => server.stats().connections === 1, 'the server to let the stuck peer go');
    reading.resume();
    // Cut, not closed: it never read as far as the close frame (it reconnects and replays either way).
    expect((await s.waitClosed()).code).toBe(1006);
    expect(p.closed).toBeUndefined();
  }, 30_000);

  it('a reading client catching up while live traffic is held (a slow broker read) is not closed: the replay leaves room for it', async () => {
    // 256 KiB limit; a replay of 2 pages of 8 KB messages; while the second page is read,
    // 19 live messages (≈ 155 KB, 60 % of the limit) are held. The replay keeps at most a
    // quarter of the limit queued, so queue + held stay under it (at half: ≈ 283 KB, 1013).
    const gate: GatedReads = gatedReads(memoryBroker());
    releases.push(() => gate.release());
    await start({ ...noLimits, broker: gate.broker, maxBufferedBytes: 256 * 1024 });
    const subs = watchSubscriptions();
    const p = await connect();
    const total = 2 * REPLAY_PAGE;
    await publishSized(p, 'catchup', total, 8000, 'backlog');
    const epoch = (await p.publish('catchup', 'x', 'epoch-probe')).epoch as string;
    const s = await connect();
    gate.holdRead(2);
    const reply = await s.subscribe('catchup', { offset: 0, epoch });
    expect(reply).toMatchObject({ recovered: true, replay: total + 1 });
    await waitFor(() => gate.held(), 'the second page read');
    await publishSized(p, 'catchup', 19, 8000, 'live');
    const sub = subs.find((x) => x.channel === 'catchup')!;
    await waitFor(() => sub.heldBytes > 150_000 || undefined, 'the live messages to be held');
    gate.release();
    await s.next('msg', (m) => m.offset === total + 20, 0, 15_000).catch((err: Error) => {
      throw new Error(`${err.message}: got ${s.msgs('catchup').length}, closed ${JSON.stringify(s.closed)}`);
    });
    expect(s.closed).toBeUndefined();
    expectContiguous(s, 'catchup', 0, total + 20);
  }, 30_000);
});

/** Just enough of a ws WebSocket for a Session: its queue is whatever the test says. */
class QueueOnlySocket extends EventEmitter {
  readonly OPEN = 1;
  readonly CLOSING = 2;
  readonly CLOSED = 3;
  readyState = 1;
  bufferedAmount = 0;
  terminated = false;
  close(): void {
    this.readyState = this.CLOSING;
  }
  terminate(): void {
    this.terminated = true;
  }
}

describe('slow consumers: the closing socket of a peer that reads slowly', () => {
  // Over loopback the queue of a peer that reads again empties at once (the kernel takes
  // a third of its send buffer at a time), so the partial progress is set by hand here.
  it('gets another CLOSE_STALL_MS each time its queue shrank, and is cut after a period without progress', () => {
    const clock = new FakeClock();
    const ws = new QueueOnlySocket();
    const ctx = {
      opts: resolveOptions({ clock }, clock),
      faults: { delayMs: 0 },
      stats: new StatsCounter(),
    } as unknown as ServerContext;
    const session = new Session(ws as unknown as WebSocket, {} as IncomingMessage, ctx);
    ws.bufferedAmount = 300_000;
    session.closeSlowConsumer();
    expect(ws.readyState).toBe(ws.CLOSING);
    ws.bufferedAmount = 200_000; // it read some
    clock.advance(CLOSE_STALL_MS);
    expect(ws.terminated).toBe(false);
    ws.bufferedAmount = 1_000; // and some more
    clock.advance(CLOSE_STALL_MS);
    expect(ws.terminated).toBe(false);
    clock.advance(CLOSE_STALL_MS - 1); // then nothing
    expect(ws.terminated).toBe(false);
    clock.advance(1);
    expect(ws.terminated).toBe(true);
  });

  it('is left to ws when nothing is queued at the close (the close frame is with the kernel)', () => {
    const clock = new FakeClock();
    const ws = new QueueOnlySocket();
    const ctx = { opts: resolveOptions({ clock }, clock), faults: { delayMs: 0 }, stats: new StatsCounter() } as unknown as ServerContext;
    const session = new Session(ws as unknown as WebSocket, {} as IncomingMessage, ctx);
    session.close(4101, 'token expired');
    clock.advance(10 * CLOSE_STALL_MS);
    expect(ws.terminated).toBe(false);
  });
});
