// drain({ timeoutMs: Infinity }) means "no deadline". It used to go to setTimeout,
// where Node turns any delay >= 2^31 ms (or Infinity) into ~1 ms: the drain gave up
// at once and abandoned the running loop body. The client runs on a manual clock
// with Node's delay rule, so the test needs no real waiting.
import { describe, expect, it } from 'vitest';
import { createNodeClient, memoryCheckpoint, type DrainResult } from '../src/index';
import { waitFor } from './fixtures/fakeChannel';
import { createNodeTimerClock } from './fixtures/nodeTimerClock';
import { publishHttp } from './fixtures/publishHttp';
import { useTestServer } from './fixtures/testServer';

const testServer = useTestServer();

describe('drain() without a deadline', () => {
  it.each([Infinity, 2 ** 31, Number.MAX_SAFE_INTEGER])(
    'timeoutMs %d: waits for the running loop body, then commits it (clean)',
    async (timeoutMs) => {
      const clock = createNodeTimerClock();
      const store = memoryCheckpoint();
      const client = createNodeClient({ url: testServer.url, checkpoint: store, clock });
      const channel = `no-deadline-${Math.random().toString(36).slice(2)}`;
      try {
        let release!: () => void;
        const gate = new Promise<void>((resolve) => (release = resolve));
        let entered = false;
        const consuming = client.channel(channel).consume(async () => {
          entered = true;
          await gate;
        });
        await waitFor(() => client.channel(channel).channel?.getSnapshot().state === 'subscribed', 5000, 'subscribed');
        await publishHttp(testServer.httpUrl, channel, 1);
        await waitFor(() => entered, 5000, 'handler running');

        let result: DrainResult | null = null;
        const draining = client.drain({ timeoutMs }).then((r) => (result = r));
        // Long past the ~1 ms a clamped timer would fire after: the drain must still wait.
        clock.advance(1000);
        await new Promise((resolve) => setImmediate(resolve));
        expect(result).toBeNull();

        release();
        await draining;
        expect(result).toMatchObject({ clean: true, unfinishedConsumers: 0 });
        expect(result!.checkpoints[channel]).toMatchObject({ offset: 1 });
        expect(store.saved.get(channel)?.offset).toBe(1);
        await consuming;
      } finally {
        await client.close();
      }
    },
  );
});
