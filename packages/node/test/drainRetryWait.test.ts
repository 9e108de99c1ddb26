// A drain during consume()'s retry wait must end consumption at once, with the
// message unacknowledged (README promise). The wait used to end only once the
// iterator had ended, which itself waited for the consumer's next next() — i.e. for
// the retry wait: the drain ran into its timeout, or the failing handler ran again.
// The client's clock is manual and never advanced: neither the retry delay nor the
// drain's deadline can elapse, so only the stop request can end the wait.
import { describe, expect, it } from 'vitest';
import { createManualClock } from '@lifeline/core/testing';
import { createNodeClient, memoryCheckpoint, type DrainResult, type NodeClient } from '../src/index';
import { waitFor } from './fixtures/fakeChannel';
import { publishHttp } from './fixtures/publishHttp';
import { useTestServer } from './fixtures/testServer';

const testServer = useTestServer();

const retry = { policy: 'retry', maxAttempts: 5, initialDelayMs: 8000, maxDelayMs: 8000 } as const;

/** The drain, or a clear failure instead of hanging until the test timeout. */
function drainWithin(client: NodeClient, ms: number): Promise<DrainResult> {
  return Promise.race([
    client.drain({ timeoutMs: 4000 }),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`drain still running after ${ms} ms`)), ms)),
  ]);
}

async function setup(name: string) {
  const store = memoryCheckpoint();
  const client = createNodeClient({ url: testServer.url, checkpoint: store, clock: createManualClock() });
  const channel = `${name}-${Math.random().toString(36).slice(2)}`;
  return { store, client, channel };
}

describe('drain() and consume() retries', () => {
  it('a drain during a retry wait ends it at once: handler not called again, message unacknowledged, drain clean', async () => {
    const { store, client, channel } = await setup('retry-wait');
    try {
      let calls = 0;
      const retries: number[] = [];
      const consuming = client.channel(channel).consume(
        () => {
          calls += 1;
          throw new Error('boom');
        },
        { onError: retry, onRetry: (_m, info) => retries.push(info.delayMs) },
      );
      await waitFor(() => client.channel(channel).channel?.getSnapshot().state === 'subscribed', 5000, 'subscribed');
      await publishHttp(testServer.httpUrl, channel, 1);
      await waitFor(() => retries.length === 1, 5000, 'in the retry wait');

      const result = await drainWithin(client, 2000);
      expect(result).toMatchObject({ clean: true, unfinishedConsumers: 0 });
      expect(result.checkpoints[channel]).toBeNull();
      expect(store.saved.has(channel)).toBe(false);
      expect(calls).toBe(1);
      await expect(consuming).resolves.toBeUndefined();
    } finally {
      await client.close();
    }
  });

  it('a handler that fails after the drain began is not retried: consumption ends with its message unacknowledged', async () => {
    const { store, client, channel } = await setup('fail-during-drain');
    try {
      let calls = 0;
      let fail!: () => void;
      const consuming = client.channel(channel).consume(
        () => {
          calls += 1;
          return new Promise<void>((_, reject) => (fail = () => reject(new Error('boom'))));
        },
        { onError: retry },
      );
      await waitFor(() => client.channel(channel).channel?.getSnapshot().state === 'subscribed', 5000, 'subscribed');
      await publishHttp(testServer.httpUrl, channel, 1);
      await waitFor(() => calls === 1, 5000, 'handler running');

      const draining = drainWithin(client, 2000);
      await new Promise((resolve) => setImmediate(resolve));
      fail();
      const result = await draining;
      expect(result).toMatchObject({ clean: true, unfinishedConsumers: 0 });
      expect(result.checkpoints[channel]).toBeNull();
      expect(store.saved.has(channel)).toBe(false);
      expect(calls).toBe(1);
      await consuming;
    } finally {
      await client.close();
    }
  });

  // Guard for the limit of the fix (passes before it too): the stop request ends waits
  // between attempts, never a handler that is running.
  it('a handler running when the drain began still finishes and is acknowledged', async () => {
    const { store, client, channel } = await setup('finish-during-drain');
    try {
      let finish!: () => void;
      let done = false;
      const consuming = client.channel(channel).consume(
        () =>
          new Promise<void>((resolve) => {
            finish = () => {
              done = true;
              resolve();
            };
          }),
        { onError: retry },
      );
      await waitFor(() => client.channel(channel).channel?.getSnapshot().state === 'subscribed', 5000, 'subscribed');
      await publishHttp(testServer.httpUrl, channel, 1);
      await waitFor(() => finish !== undefined, 5000, 'handler running');

      const draining = drainWithin(client, 2000);
      await new Promise((resolve) => setImmediate(resolve));
      finish();
      const result = await draining;
      expect(done).toBe(true);
      expect(result).toMatchObject({ clean: true, unfinishedConsumers: 0 });
      expect(result.checkpoints[channel]).toMatchObject({ offset: 1 });
      expect(store.saved.get(channel)?.offset).toBe(1);
      await consuming;
    } finally {
      await client.close();
    }
  });
});
