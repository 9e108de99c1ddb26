// A consume() handler that never settles: the drain gives up on it at its deadline (its message
// unacknowledged), but `await consume()` stayed pending for ever (a worker's main function never
// returned, a top-level await ended the process with code 13). It now resolves then, as a loop
// waiting in next() gets `done`. The drain's deadline runs on a manual clock.
import { describe, expect, it } from 'vitest';
import { createManualClock } from '@lifeline/core/testing';
import { createNodeClient, memoryCheckpoint, type ErrorPolicy, type NodeClient } from '../src/index';
import { waitFor } from './fixtures/fakeChannel';
import { publishHttp } from './fixtures/publishHttp';
import { useTestServer } from './fixtures/testServer';
import { useTracker } from './fixtures/tracker';

const testServer = useTestServer();
const clients = useTracker();

/** `promise`'s outcome, or 'pending' if it has not settled within `ms` of real time (a guard, not a wait). */
function within<T>(promise: Promise<T>, ms: number): Promise<T | 'pending'> {
  return Promise.race([promise, new Promise<'pending'>((r) => setTimeout(() => r('pending'), ms))]);
}

async function stuckConsumer(name: string, onError?: ErrorPolicy, deadLetter?: () => void) {
  const clock = createManualClock();
  const store = memoryCheckpoint();
  const client: NodeClient = clients.add(createNodeClient({ url: testServer.url, checkpoint: store, clock }));
  const channel = `${name}-${Math.random().toString(36).slice(2)}`;
  let settle!: { resolve: () => void; reject: (e: unknown) => void };
  let calls = 0;
  const consuming = client.channel<number>(channel).consume(
    () => {
      calls += 1;
      return new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    },
    { ...(onError ? { onError } : {}), ...(deadLetter ? { deadLetter } : {}) },
  );
  await waitFor(() => client.channel(channel).channel?.getSnapshot().state === 'subscribed', 5000, 'subscribed');
  await publishHttp(testServer.httpUrl, channel, 1);
  await waitFor(() => calls === 1, 5000, 'handler running');
  return { clock, store, client, channel, consuming, settle: () => settle, calls: () => calls };
}

describe('consume() with a handler that never settles', () => {
  it("resolves once drain() reaches its deadline; the message stays unacknowledged, also if the handler finishes later", async () => {
    const { clock, store, client, channel, consuming, settle } = await stuckConsumer('drain');
    const draining = client.drain({ timeoutMs: 500 });
    await new Promise((r) => setImmediate(r));
    clock.advance(500);
    const result = await within(draining, 2000);
    expect(result).toMatchObject({ clean: false, unfinishedConsumers: 1 });
    expect(await within(consuming, 2000)).toBeUndefined();

    settle().resolve();
    await new Promise((r) => setImmediate(r));
    expect(store.saved.has(channel)).toBe(false);
  });

  it('resolves on close(); a handler failing afterwards is neither retried nor dead-lettered', async () => {
    let deadLettered = 0;
    const { client, consuming, settle, calls } = await stuckConsumer('close', { policy: 'dead-letter' }, () => {
      deadLettered += 1;
    });
    await client.close();
    expect(await within(consuming, 2000)).toBeUndefined();

    settle().reject(new Error('late failure'));
    await new Promise((r) => setImmediate(r));
    expect(deadLettered).toBe(0);
    expect(calls()).toBe(1);
  });
});
