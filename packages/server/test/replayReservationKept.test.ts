// A `sub` that fails (here its presence read) gives back only a replay reservation it made
// itself. It gave back whatever the connection had reserved, so another channel's page read
// in flight lost its reservation and the node admitted a page more than maxReplayBytes
// allows (found by a review of the replay budget).
import { afterEach, expect, it } from 'vitest';
import { memoryBroker } from '../src/index';
import type { Broker } from '../src/broker/types';
import { REPLAY_PAGE_BYTES } from '../src/replay';
import { gatedReads, type GatedReads } from './helpers/gatedReads';
import { useServer } from './helpers/serverFixture';
import { waitFor } from './helpers/waitFor';

const fixture = useServer();
const gates: GatedReads[] = [];
afterEach(() => {
  for (const g of gates.splice(0)) g.release();
});

it('a failed sub without `since` leaves another channel\'s page-read reservation in place', async () => {
  const inner = memoryBroker();
  let epoch = '';
  for (let i = 0; i < 5; i++) epoch = (await inner.publish('a', { i })).epoch;
  const gate = gatedReads(inner);
  gates.push(gate);
  const broker: Broker = {
    ...gate.broker,
    presenceList: (channel) => (channel === 'b' ? Promise.reject(new Error('presence read failed')) : gate.broker.presenceList(channel)),
  };
  const server = await fixture.start({ broker, publishPerSec: 1e6, publishBurst: 1e6 });
  const c = await fixture.connect();
  gate.holdRead(1);
  c.send({ type: 'sub', ref: 1, channel: 'a', since: { offset: 0, epoch } });
  await waitFor(() => gate.held() !== undefined, 'the page read of channel a');
  expect(server.stats().replayHeldBytes).toBe(REPLAY_PAGE_BYTES);

  const refused = await c.request({ type: 'sub', channel: 'b' });
  expect(refused).toMatchObject({ type: 'error', code: 'BROKER_UNAVAILABLE', channel: 'b' });
  expect(server.stats().replayHeldBytes).toBe(REPLAY_PAGE_BYTES);

  gate.release();
  await waitFor(() => c.msgs('a').length === 5, 'channel a\'s replay');
  await waitFor(() => server.stats().replayHeldBytes === 0, 'the budget to be given back');
});
