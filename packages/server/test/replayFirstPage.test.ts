// A replay's first page is read by planReplay, before the `subscribed` reply: in the
// connection's replay turn (Session.replayTurn), like every later page. Read outside it,
// a client that subscribed with `since` to many channels and never read held one first page
// per channel (20 channels of 60 KB messages: 16.5 MiB; 100 channels: ~100 MiB), which no
// stat counted. The broker below returns fresh copies bounded by maxBytes, as Redis does.
import type { Socket } from 'node:net';
import { expect, it } from 'vitest';
import { memoryBroker } from '../src/broker/memoryBroker';
import { REPLAY_PAGE_BYTES } from '../src/replay';
import { useServer } from './helpers/serverFixture';
import { copyingReads } from './helpers/copyingReads';
import { expectContiguous } from './helpers/seam';
import { waitFor } from './helpers/waitFor';
import type { TestClient } from './helpers/wsClient';

const { start, connect } = useServer({ dropClients: 'terminate' });
const SIZE = 60_000;
const CHANNELS = 20;
const socketOf = (c: TestClient): Socket => (c.ws as unknown as { _socket: Socket })._socket;

it('a client that never reads the replays of 20 channels holds about one page of them in the server, first pages included, and gets them all once it reads', async () => {
  const inner = memoryBroker({ maxRetainedBytes: Infinity });
  const epochs: string[] = [];
  for (let ch = 0; ch < CHANNELS; ch++) {
    let e = '';
    for (let i = 0; i < 60; i++) e = (await inner.publish(`big${ch}`, 'y'.repeat(SIZE))).epoch;
    epochs.push(e);
  }
  // Like Redis: a read returns fresh copies, bounded by maxBytes.
  const { broker, counts } = copyingReads(inner, SIZE);
  const server = await start({ broker, publishPerSec: 1e6, publishBurst: 1e6 });
  const c = await connect();
  epochs.forEach((epoch, i) => c.send({ type: 'sub', ref: i + 1, channel: `big${i}`, since: { offset: 0, epoch } }));
  socketOf(c).pause();
  await waitFor(() => server.stats().framesIn.sub === CHANNELS, 'subs');
  let last = -1;
  let since = Date.now();
  await waitFor(() => {
    const now = counts.messages * 1000 + (server.stats().framesOut.msg ?? 0);
    if (now !== last) [last, since] = [now, Date.now()];
    return Date.now() - since > 500;
  }, 'settle', 20_000);
  const written = server.stats().framesOut.msg ?? 0;
  const heldBytes = (counts.messages - written) * SIZE;
  expect(heldBytes, `read ${counts.messages} messages, wrote ${written}`).toBeLessThanOrEqual(REPLAY_PAGE_BYTES + SIZE);
  socketOf(c).resume();
  for (let ch = 0; ch < CHANNELS; ch++) await waitFor(() => c.msgs(`big${ch}`).length === 60, 'every replay', 20_000);
  for (let ch = 0; ch < CHANNELS; ch++) expectContiguous(c, `big${ch}`, 0, 60);
}, 60_000);
