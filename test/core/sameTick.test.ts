// The core client against the reference server, for requests that race on one
// connection: an unsubscribe and a resubscribe in the same tick, and two publishes with
// the same idempotency id in flight at once.
import { memoryBroker } from '@lifeline/server';
import { describe, expect, it } from 'vitest';
import { useReferenceServer, waitFor } from './helpers';

const t = useReferenceServer();

async function pair() {
  const server = await t.start({ broker: memoryBroker() });
  const url = `${server.url}/v1`;
  return { sub: t.client(url), pub: t.client(url) };
}

describe('racing requests on one connection', () => {
  it('unsubscribe + resubscribe in the same tick: nothing lost, nothing twice, position kept', async () => {
    const { sub, pub } = await pair();
    const got: number[] = [];
    const ch = sub.channel<number>('c');
    const off = ch.subscribe((m) => void got.push(m.data));
    await waitFor(() => ch.getSnapshot().state === 'subscribed' && pub.state === 'open', 'ready');
    for (let i = 0; i < 5; i++) await pub.publish('c', i);
    await waitFor(() => got.length === 5, 'the first 5');
    const at = ch.position;
    off();
    ch.subscribe((m) => void got.push(m.data));
    expect(ch.position).toEqual(at);
    await Promise.all([5, 6, 7, 8, 9].map((i) => pub.publish('c', i)));
    await waitFor(() => got.length >= 10 && ch.getSnapshot().state === 'subscribed', '10 messages');
    // One more round trip on the subscriber's connection: a duplicate would be here by now.
    await pub.publish('c', 10);
    await waitFor(() => got.length >= 11, 'the marker');
    expect(got).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(ch.position?.offset).toBe(11);
  });

  it('the same id published twice at once is stored once; both resolve with its offset', async () => {
    const { sub, pub } = await pair();
    const got: unknown[] = [];
    const ch = sub.channel('c');
    ch.subscribe((m) => void got.push(m.data));
    await waitFor(() => ch.getSnapshot().state === 'subscribed' && pub.state === 'open', 'ready');
    const [a, b] = await Promise.all([pub.publish('c', 'a', { id: 'same' }), pub.publish('c', 'b', { id: 'same' })]);
    await pub.publish('c', 'marker');
    await waitFor(() => got.includes('marker'), 'the marker');
    expect(got).toEqual(['a', 'marker']);
    expect(b.offset).toBe(a.offset);
    expect([a.duplicate, b.duplicate]).toEqual([false, true]);
  });
});
