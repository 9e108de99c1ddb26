import { describe, expect, it } from 'vitest';
import { createNodeClient, isLifelineNodeError, memoryCheckpoint } from '../src/index';
import { waitFor } from './fixtures/fakeChannel';
import { publishHttp } from './fixtures/publishHttp';
import { useTestServer } from './fixtures/testServer';

// drain() lets the loop body that is running finish and commits its message. A body
// that publishes its result (README: "publishing from a consumer") must be able to.

const testServer = useTestServer();

describe('drain() while a loop body is running', () => {
  it('the body may still publish: the publish is flushed, the message committed, the drain clean', async () => {
    const store = memoryCheckpoint();
    const client = createNodeClient({ url: testServer.url, checkpoint: store });
    const results = client.channel<{ for: number }>('drain-results');
    let inBody!: () => void;
    const entered = new Promise<void>((resolve) => (inBody = resolve));
    let finishBody!: () => void;
    const gate = new Promise<void>((resolve) => (finishBody = resolve));
    const published: Array<number | string> = [];
    const run = client.channel<{ n: number }>('drain-jobs').consume(async (msg) => {
      inBody();
      await gate; // SIGTERM arrives here
      try {
        published.push((await results.publish({ for: msg.data.n }, { id: `result-${msg.offset}` })).offset);
      } catch (error) {
        published.push(isLifelineNodeError(error) ? error.code : String(error));
        throw error;
      }
    });
    await waitFor(() => client.channel('drain-jobs').channel?.getSnapshot().state === 'subscribed', 10_000, 'subscribed');
    await publishHttp(testServer.httpUrl, 'drain-jobs', { n: 1 });
    await entered;
    const drained = client.drain({ timeoutMs: 5_000 });
    finishBody();
    const result = await drained;
    await run;
    expect(published).toEqual([1]);
    expect(result).toMatchObject({ clean: true, unflushedPublishes: 0, unfinishedConsumers: 0 });
    expect(result.checkpoints['drain-jobs']).toMatchObject({ offset: 1 });
    expect(store.saved.get('drain-jobs')).toMatchObject({ offset: 1 });
    // Once drained, the client is closed for publishing too.
    await expect(results.publish({ for: 2 })).rejects.toSatisfy((e: unknown) => isLifelineNodeError(e, 'CLIENT_CLOSED'));
    // And no new consumer may start during or after a drain.
    expect(() => client.channel('drain-jobs').messages()).toThrow(/closed/);
  }, 20_000);

  it('no new iteration may start while draining', async () => {
    const client = createNodeClient({ url: testServer.url, autoConnect: false });
    const drained = client.drain({ timeoutMs: 1_000 });
    expect(() => client.channel('x').messages()).toThrow(/draining/);
    await drained;
  });
});
