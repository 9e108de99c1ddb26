// The core client against the reference server: one publisher's messages land in the log
// in publish order even when the broker refuses one of a pipelined batch.
import { BrokerUnavailableError, createServer, memoryBroker, type Broker, type LifelineServer } from '@lifeline/server';
import type { LifelineClient, Message } from '@lifeline/core';
import { afterEach, describe, expect, it } from 'vitest';
import { makeClient, waitFor } from './helpers';

let server: LifelineServer | null = null;
const clients: LifelineClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await server?.close();
  server = null;
});

describe('publish order through a retryable refusal', () => {
  it('a broker refusal in the middle of 50 pipelined publishes: all stored once, in publish order', async () => {
    const inner = memoryBroker();
    let calls = 0;
    const broker: Broker = Object.assign(Object.create(inner) as Broker, {
      publish: (channel: string, data: unknown, id: string) =>
        ++calls === 10 ? Promise.reject(new BrokerUnavailableError('broker hiccup')) : inner.publish(channel, data, id),
    });
    server = await createServer({ port: 0, broker });
    const url = `${server.url}/v1`;
    const sub = makeClient(clients, url);
    const pub = makeClient(clients, url);
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
