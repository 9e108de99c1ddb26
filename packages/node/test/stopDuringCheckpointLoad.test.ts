// An iteration whose first next() waits for the checkpoint load (a slow or hung store:
// Redis unreachable with an offline queue, a stuck network filesystem) ignored its
// AbortSignal, a drain and close(): they were only seen once the load finished, so
// with a store that never answers the loop, consume() and drain() waited for ever.
// They must end it as at any other time: `done` (or the failure, for fail()), at once,
// without subscribing afterwards.
import { describe, expect, it } from 'vitest';
import { createManualClock } from '@lifeline/core/testing';
import { createNodeClient, type CheckpointStore, type DrainResult, type NodeClient } from '../src/index';
import { LifelineNodeError } from '../src/errors';
import { MessageIterator } from '../src/messageIterator';
import { FakeChannel } from './fixtures/fakeChannel';
import { useTestServer } from './fixtures/testServer';
import { useTracker } from './fixtures/tracker';

const testServer = useTestServer();
const clients = useTracker();

type Settled<T> = { status: 'fulfilled'; value: T } | { status: 'rejected'; reason: unknown } | 'pending';

/** Settles within a few macrotasks, or says it is still pending. */
async function settledSoon<T>(p: Promise<T>): Promise<Settled<T>> {
  let out: Settled<T> = 'pending';
  p.then(
    (value) => (out = { status: 'fulfilled', value }),
    (reason) => (out = { status: 'rejected', reason }),
  );
  for (let i = 0; i < 20 && out === 'pending'; i++) await new Promise((r) => setImmediate(r));
  return out;
}

/** An iterator over a fake channel whose checkpoint load ends only when the test says so. */
function loadingIterator(options: { signal?: AbortSignal } = {}) {
  const ch = new FakeChannel<number>();
  let finishLoad!: () => void;
  const loaded = new Promise<void>((resolve) => (finishLoad = resolve));
  const it = new MessageIterator<number>(
    {
      open: async () => {
        await loaded;
        return { channel: ch.asChannel(), start: null };
      },
    },
    options,
  );
  return { ch, it, finishLoad };
}

const DONE = { status: 'fulfilled', value: { done: true, value: undefined } };

describe('asked to end while the first next() waits for the checkpoint load', () => {
  it('the signal aborting ends that next() with done at once; a load finishing later subscribes nothing', async () => {
    const abort = new AbortController();
    const { ch, it, finishLoad } = loadingIterator({ signal: abort.signal });
    const first = it.next();
    await new Promise((r) => setImmediate(r)); // next() waits inside the load
    abort.abort();
    expect(await settledSoon(first)).toEqual(DONE);
    expect(it.done).toBe(true);
    finishLoad();
    await settledSoon(it.ended());
    expect(ch.subscribeCount).toBe(0);
  });

  it('stop() (what a drain does) ends it with done and ended() resolves', async () => {
    const { ch, it } = loadingIterator();
    const first = it.next();
    await new Promise((r) => setImmediate(r));
    it.stop();
    expect(await settledSoon(first)).toEqual(DONE);
    expect(await settledSoon(it.acknowledged())).toEqual({ status: 'fulfilled', value: undefined });
    expect(ch.subscribeCount).toBe(0);
  });

  it('terminate() (what close() does) ends it with done', async () => {
    const { ch, it, finishLoad } = loadingIterator();
    const first = it.next();
    await new Promise((r) => setImmediate(r));
    await it.terminate();
    expect(await settledSoon(first)).toEqual(DONE);
    finishLoad();
    await new Promise((r) => setImmediate(r));
    expect(ch.subscribeCount).toBe(0);
  });

  it('fail() (the client stopped for good) rejects it with that error at once', async () => {
    const { ch, it } = loadingIterator();
    const first = it.next();
    await new Promise((r) => setImmediate(r));
    const error = new LifelineNodeError('CLIENT_STOPPED', 'stopped');
    it.fail(error);
    expect(await settledSoon(first)).toEqual({ status: 'rejected', reason: error });
    expect(ch.subscribeCount).toBe(0);
  });
});

describe('a Node client whose checkpoint store never answers load()', () => {
  const hangingLoad = (): CheckpointStore => ({
    load: () => new Promise(() => {}),
    save: async () => {},
  });
  const client = (clock = createManualClock(Date.now())): NodeClient =>
    clients.add(createNodeClient({ url: testServer.url, checkpoint: hangingLoad(), clock }));

  it('close(): a loop waiting in messages() gets done', async () => {
    const c = client();
    const first = c.channel('orders').messages().next();
    await new Promise((r) => setImmediate(r));
    await c.close();
    expect(await settledSoon(first)).toEqual(DONE);
  });

  it('drain(): ends clean on a clock that never advances (it waited for the load until its deadline)', async () => {
    const c = client();
    const loop = (async () => {
      for await (const _msg of c.channel('orders').messages()) throw new Error('no message expected');
      return 'ended';
    })();
    await new Promise((r) => setImmediate(r));
    const drained = await Promise.race([
      c.drain({ timeoutMs: 5_000 }),
      new Promise<'still draining'>((r) => setTimeout(() => r('still draining'), 3_000)),
    ]);
    expect(drained).toEqual({
      clean: true,
      unflushedPublishes: 0,
      failedPublishes: 0,
      unfinishedConsumers: 0,
      failedCheckpoints: [],
      checkpoints: {},
    } satisfies DrainResult);
    expect(await settledSoon(loop)).toEqual({ status: 'fulfilled', value: 'ended' });
  });

  it('consume(): its signal aborting resolves it', async () => {
    const c = client();
    const abort = new AbortController();
    const consuming = c.channel('orders').consume(() => {}, { signal: abort.signal });
    await new Promise((r) => setImmediate(r));
    abort.abort();
    expect(await settledSoon(consuming)).toEqual({ status: 'fulfilled', value: undefined });
  });
});
