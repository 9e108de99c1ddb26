// The core client against the reference server: one publisher's messages land in the log
// in publish order even when the broker refuses one of a pipelined batch.
import { BrokerUnavailableError, memoryBroker, type Broker } from '@lifeline/server';
import type { Message } from '@lifeline/core';
import { describe, expect, it } from 'vitest';
import { useReferenceServer, waitFor } from './helpers';

const t = useReferenceServer();

describe('publish order through a retryable refusal', () => {
  it('a broker refusal in the middle of 50 pipelined publishes: all stored once, in publish order', async () => {
    const inner = memoryBroker();
    let calls = 0;
    const broker: Broker = Object.assign(Object.create(inner) as Broker, {
      publish: (channel: string, data: unknown, id: string) =>
        ++calls === 10 ? Promise.reject(new BrokerUnavailableError('broker hiccup')) : inner.publish(channel, data, id),
    });
    const server = await t.start({ broker });
    const url = `${server.url}/v1`;
    const sub = t.client(url);
    const pub = t.client(url);
    const got: Message<number>[] = [];
    const ch = sub.channel<number>('orders');
    ch.subscribe((m) => void got.push(m));
    await waitFor(() => ch.getSnapshot().state === 'subscribed' && pub.state === 'open', 'ready');
    const N = 50;
    const results = await Promise.all(Array.from({ length: N }, (_, i) => pub.publish('orders', i)));
    await waitFor(() => got.length >= N, `${N} messages (have ${got.length})`);
    expect(calls).toBeGreaterThan(N); // the refused one really was refused and sent again
    expect(got.map((m) => m.data)).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(results.map((r) => r.offset)).toEqual(got.map((m) => m.offset));
  });
});
