// An in-band `auth` (PROTOCOL.md §10.1) sent while a replay of the same connection is in
// progress waited for that whole replay (written at the client's reading pace) or for the
// replay's place in the node's byte budget line: `authed` never came in time and the
// connection was closed 4101 at the old token's expiry, although the client had renewed
// (chaos soak: 82 such closes; repro auth-behind-replay.mjs). The auth now waits only for
// the permission decisions of the requests sent before it, and the 4101 close moves when
// the new token is verified. Real sockets on port 0; token expiry on a fake clock.
import { describe, expect, it } from 'vitest';
import { memoryBroker, signToken } from '../src/index';
import type { LifelineServer } from '../src/index';
import { FakeClock } from './helpers/fakeClock';
import { useServer } from './helpers/serverFixture';
import { waitFor } from './helpers/waitFor';
import type { TestClient } from './helpers/wsClient';

const SECRET = 'reauth-behind-replay-secret-0123456789abcdef';
const T0 = 1_800_000_000_000;
const T0_SEC = T0 / 1000;
const { start, connect } = useServer();
const COUNT = 3000;

const token = (claims: Record<string, unknown> = {}): string => signToken({ sub: 'ada', exp: T0_SEC + 60, ...claims }, SECRET);
const rawOf = (c: TestClient) => (c.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
const out = (server: LifelineServer, type: string): number => server.stats().framesOut[type] ?? 0;
const inCount = (server: LifelineServer, type: string): number => server.stats().framesIn[type] ?? 0;

/** A memory broker holding `count` messages of `bytes` each on `channel`; returns its epoch. */
async function backlog(channel: string, count: number, bytes: number) {
  const broker = memoryBroker({ retention: count });
  const pad = 'x'.repeat(bytes);
  let epoch = '';
  for (let i = 0; i < count; i++) epoch = (await broker.publish(channel, { i, pad }, `m${i}`)).epoch;
  return { broker, epoch };
}

async function alive(c: TestClient): Promise<void> {
  const t = c.nextRef();
  c.send({ type: 'ping', t });
  await c.next('pong', (f) => f.t === t);
  expect(c.closed).toBeUndefined();
}

/**
 * A server on a fake clock whose `jobs` holds COUNT messages of 8 KB, and a client (token
 * `claims` over the defaults) that subscribed from the start and reads nothing: 24 MB, far
 * more than the server queues for a socket (PACED_QUEUE_BYTES) and the kernel buffers of a
 * loopback pair never read, so its replay stays in progress. Resolves once it started.
 */
async function replayingClient(claims: Record<string, unknown>) {
  const { broker, epoch } = await backlog('jobs', COUNT, 8000);
  const clock = new FakeClock(T0);
  const server = await start({ authSecret: SECRET, clock, broker, heartbeatMs: 3_600_000 });
  const c = await connect({ token: token(claims) });
  rawOf(c).pause();
  c.send({ type: 'sub', ref: c.nextRef(), channel: 'jobs', since: { offset: 0, epoch } });
  await waitFor(() => out(server, 'subscribed') === 1 && out(server, 'msg') > 0, 'the replay to start');
  return { broker, clock, server, c };
}

describe('auth while a replay of the same connection is in progress', () => {
  it('a consumer that does not read its replay: the auth is answered mid-replay and the old token’s expiry closes nothing', async () => {
    const { clock, server, c } = await replayingClient({ exp: T0_SEC + 60 });
    clock.advance(50_000);
    const ar = c.nextRef();
    c.send({ type: 'auth', ref: ar, token: token({ exp: T0_SEC + 120 }) });
    await waitFor(() => inCount(server, 'auth') === 1, 'the server to read the auth');
    await waitFor(() => out(server, 'authed') === 1, 'the authed answer to be written');
    // The replay is still in progress: the client has read nothing of it.
    expect(out(server, 'msg')).toBeLessThan(COUNT);
    clock.advance(10_000); // the old token's exp
    clock.advance(59_999); // 1 ms before the new one's
    // What the server wrote (and would have closed) reaches the client once it reads again.
    rawOf(c).resume();
    await waitFor(() => c.msgs('jobs').length === COUNT || c.closed, 'the whole replay', 30_000);
    expect(c.closed).toBeUndefined();
    expect(c.msgs('jobs').map((m) => m.offset)).toEqual(Array.from({ length: COUNT }, (_, i) => i + 1));
    // `authed` came between the replay's messages (PROTOCOL.md §10.1), not after them.
    const authedAt = c.frames.findIndex((f) => f.type === 'authed' && f.ref === ar);
    expect(c.frames[authedAt]).toEqual({ type: 'authed', ref: ar, tokenExpiresInMs: 70_000 });
    const lastMsgAt = c.frames.length - 1 - [...c.frames].reverse().findIndex((f) => f.type === 'msg');
    expect(authedAt).toBeLessThan(lastMsgAt);
    await alive(c);
    clock.advance(1); // the new token's exp
    expect((await c.waitClosed()).code).toBe(4101);
  }, 60_000);

  it('a sub waiting for the node’s replay byte budget: the auth sent after it is answered, and the old expiry closes nothing', async () => {
    const { broker, epoch } = await backlog('big', 3000, 8000);
    const clock = new FakeClock(T0);
    const server = await start({ authSecret: SECRET, clock, broker, heartbeatMs: 3_600_000, maxReplayBytes: 65_536, replayStallMs: 3_600_000 });
    // The holder replays without reading: its pages hold the whole budget.
    const holder = await connect({ token: signToken({ sub: 'holder', exp: T0_SEC + 3600 }, SECRET) });
    rawOf(holder).pause();
    holder.send({ type: 'sub', ref: holder.nextRef(), channel: 'big', since: { offset: 0, epoch } });
    await waitFor(() => server.stats().replayHeldBytes > 0, 'the holder to hold the replay budget');
    const c = await connect({ token: token({ exp: T0_SEC + 60 }) });
    const sr = c.nextRef();
    c.send({ type: 'sub', ref: sr, channel: 'big', since: { offset: 0, epoch } });
    await waitFor(() => server.stats().replayWaiting > 0, 'the sub to wait in the budget line');
    clock.advance(50_000);
    const reply = await c.request({ type: 'auth', token: token({ exp: T0_SEC + 120 }) });
    expect(reply).toMatchObject({ type: 'authed', tokenExpiresInMs: 70_000 });
    // Its sub still waits: answered after the auth sent after it.
    expect(c.frames.some((f) => f.ref === sr)).toBe(false);
    expect(server.stats().replayWaiting).toBeGreaterThan(0);
    clock.advance(10_000); // the old token's exp
    await alive(c);
    clock.advance(59_999);
    await alive(c);
    clock.advance(1);
    expect((await c.waitClosed()).code).toBe(4101);
  });

  it('an auth that must wait (behind a pub queued behind the replay on its channel) moves the 4101 close when it arrives; it is answered in order', async () => {
    const { clock, server, c } = await replayingClient({ exp: T0_SEC + 60 });
    const pr = c.nextRef();
    const ar = c.nextRef();
    // The pub is judged by the old token after the replay (one request at a time per
    // channel), so the auth's turn comes after it, whatever the client's reading pace.
    c.send({ type: 'pub', ref: pr, channel: 'jobs', data: 'done', id: 'p1' });
    c.send({ type: 'auth', ref: ar, token: token({ exp: T0_SEC + 120 }) });
    await waitFor(() => inCount(server, 'auth') === 1, 'the server to read the auth');
    expect(out(server, 'authed')).toBe(0);
    clock.advance(60_000); // the old token's exp, the auth still waiting its turn
    rawOf(c).resume();
    await waitFor(() => c.frames.find((f) => f.ref === ar) ?? c.closed, 'the authed answer', 30_000);
    expect(c.closed).toBeUndefined();
    expect(c.msgs('jobs')).toHaveLength(COUNT + 1);
    const answers = c.frames.filter((f) => f.ref === pr || f.ref === ar);
    expect(answers.map((f) => f.type)).toEqual(['ack', 'authed']);
    await alive(c);
    clock.advance(59_999);
    await alive(c);
    clock.advance(1); // the new token's exp
    expect((await c.waitClosed()).code).toBe(4101);
  }, 60_000);

  it('a narrowing auth behind a sub still replaying finds that channel held: closed 4204 mid-replay, no authed', async () => {
    const { server, c } = await replayingClient({ subscribe: ['jobs', 'other'] });
    c.send({ type: 'auth', ref: c.nextRef(), token: token({ subscribe: ['other'], exp: T0_SEC + 120 }) });
    await waitFor(() => inCount(server, 'auth') === 1, 'the server to read the auth');
    // Handled in the same turn as read (the sub decided long ago): the close is queued now.
    await new Promise((r) => setImmediate(r));
    rawOf(c).resume();
    expect((await c.waitClosed(30_000)).code).toBe(4204);
    expect(c.frames.some((f) => f.type === 'authed')).toBe(false);
    expect(c.msgs('jobs').length).toBeLessThan(COUNT);
  }, 60_000);

  // The review of moving the close on arrival: a renewal that narrows, queued behind a `pub`
  // on a channel still replaying, moved it to the new token's exp at once, and the
  // connection went on receiving the channel the new token forbids past the old expiry.
  it('a renewal that narrows, queued behind a pub behind a replay, leaves the 4101 at the old expiry: nothing of the forbidden channel after it', async () => {
    const { broker, clock, server, c } = await replayingClient({ subscribe: ['jobs', 'other'] });
    c.send({ type: 'pub', ref: c.nextRef(), channel: 'jobs', data: 'x', id: 'p1' });
    c.send({ type: 'auth', ref: c.nextRef(), token: token({ exp: T0_SEC + 120, subscribe: ['other'] }) });
    await waitFor(() => inCount(server, 'auth') === 1, 'the server to read the auth');
    clock.advance(61_000); // past the old token's exp; the new one forbids 'jobs'
    await broker.publish('jobs', { secret: 'published after the old token expired' }, 'late');
    rawOf(c).resume();
    const closed = await c.waitClosed(30_000);
    expect(c.msgs('jobs').filter((m) => (m.data as { secret?: string })?.secret !== undefined)).toHaveLength(0);
    expect(closed.code).toBe(4101);
  }, 60_000);
});
