// A review of moving the 4101 close when an `auth` arrives: a renewal that narrows, queued
// behind a `pub` on a channel whose replay the client reads slowly, moved the close to the
// new token's exp at once, and the connection went on receiving the channel the new token
// forbids past the old token's expiry (a message published after it was delivered).
import { expect, it } from 'vitest';
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
const rawOf = (c: TestClient) => (c.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
const out = (server: LifelineServer, type: string): number => server.stats().framesOut[type] ?? 0;
const inCount = (server: LifelineServer, type: string): number => server.stats().framesIn[type] ?? 0;

it('a renewal that narrows, queued behind a pub behind a replay, leaves the 4101 at the old expiry: nothing of the forbidden channel after it', async () => {
  const COUNT = 3000;
  const broker = memoryBroker({ retention: COUNT + 10 });
  let epoch = '';
  for (let i = 0; i < COUNT; i++) epoch = (await broker.publish('jobs', { i, pad: 'x'.repeat(8000) }, `m${i}`)).epoch;
  const clock = new FakeClock(T0);
  const server = await start({ authSecret: SECRET, clock, broker, heartbeatMs: 3_600_000 });
  const c = await connect({ token: signToken({ sub: 'ada', exp: T0_SEC + 60, subscribe: ['jobs', 'other'] }, SECRET) });
  rawOf(c).pause();
  c.send({ type: 'sub', ref: c.nextRef(), channel: 'jobs', since: { offset: 0, epoch } });
  await waitFor(() => out(server, 'msg') > 0, 'the replay to start');
  c.send({ type: 'pub', ref: c.nextRef(), channel: 'jobs', data: 'x', id: 'p1' });
  c.send({ type: 'auth', ref: c.nextRef(), token: signToken({ sub: 'ada', exp: T0_SEC + 120, subscribe: ['other'] }, SECRET) });
  await waitFor(() => inCount(server, 'auth') === 1, 'the server to read the auth');
  clock.advance(61_000); // past the old token's exp; the new one forbids 'jobs'
  await broker.publish('jobs', { secret: 'published after the old token expired' }, 'late');
  rawOf(c).resume();
  const closed = await c.waitClosed(30_000);
  const late = c.msgs('jobs').filter((m) => (m.data as { secret?: string })?.secret !== undefined);
  expect(late).toHaveLength(0);
  expect(closed.code).toBe(4101);
}, 60_000);
