// A memory-broker server restarted (a new process on the same port: a new epoch) keeps
// what was published on it before a slow subscriber came back. That subscriber is told
// the lost history as a gap that ends where the new log starts, then gets the new log's
// messages: they were retained and deliverable, so skipping them to the head (the answer
// before the retained tail was sent after `recovered: false`) lost them.
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, type GapEvent, type LifelineClient, type Message } from '@lifeline/core';
import { createManualClock } from '@lifeline/core/testing';
import { createServer, memoryBroker, type LifelineServer } from '../src/index';
import { waitFor } from './helpers/waitFor';

const cores: LifelineClient[] = [];
const servers: LifelineServer[] = [];
afterEach(async () => {
  await Promise.all(cores.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(port = 0): Promise<LifelineServer> {
  const s = await createServer({ port, broker: memoryBroker() });
  servers.push(s);
  return s;
}

describe('memory server restarted on the same port', () => {
  it('a subscriber that reconnects after 3 publishes on the new server: a gap to the new log start, then all 3, in order, once', async () => {
    const before = await serve();
    const port = Number(new URL(before.url).port);
    const url = `${before.url}/v1`;
    // The subscriber's reconnect waits for this clock, so it comes back only after the
    // publisher has published on the new server (a slow subscriber, without sleeps).
    const clock = createManualClock();
    const sub = createClient({ url, clock, lifecycle: false, reconnect: { initialDelayMs: 1000, maxDelayMs: 1000 } });
    const pub = createClient({ url, lifecycle: false, reconnect: { initialDelayMs: 10, maxDelayMs: 50 } });
    cores.push(sub, pub);
    const ch = sub.channel<string>('room');
    const got: Message<string>[] = [];
    const gaps: GapEvent[] = [];
    ch.on('gap', (g) => gaps.push(g));
    ch.subscribe((m) => void got.push(m));
    await waitFor(() => ch.getSnapshot().state === 'subscribed' || undefined, 'subscribed');
    const first = await pub.publish('room', 'old');
    await waitFor(() => got.length === 1 || undefined, 'the first message');

    await before.close();
    await waitFor(() => (sub.state !== 'open' && pub.state !== 'open') || undefined, 'both disconnected');
    const after = await serve(port);
    await waitFor(() => pub.state === 'open' || undefined, 'the publisher back', 10_000);
    const acks = [];
    for (const s of ['x', 'y', 'z']) acks.push(await pub.publish('room', s));
    const epoch = acks[0]!.epoch;
    expect(epoch).not.toBe(first.epoch);
    expect(acks.map((a) => a.offset)).toEqual([1, 2, 3]);
    expect(sub.state).not.toBe('open'); // still waiting for its clock

    clock.advance(1000);
    await waitFor(() => got.length >= 4 || undefined, 'the new server\'s messages', 10_000);
    await pub.publish('room', 'live');
    await waitFor(() => got.length >= 5 || undefined, 'live after the tail');
    expect(gaps).toEqual([
      { channel: 'room', from: { offset: 1, epoch: first.epoch }, to: { offset: 0, epoch }, reason: 'epoch-changed' },
    ]);
    expect(got.map((m) => [m.data, m.offset, m.epoch])).toEqual([
      ['old', 1, first.epoch],
      ['x', 1, epoch],
      ['y', 2, epoch],
      ['z', 3, epoch],
      ['live', 4, epoch],
    ]);
    expect(after.url).toBe(before.url);
  });
});
