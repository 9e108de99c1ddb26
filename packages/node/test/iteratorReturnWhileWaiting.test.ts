import { describe, expect, it } from 'vitest';
import { messages, MessageIterator } from '../src/messageIterator';
import { memoryCheckpoint } from '../src/checkpoint/memoryCheckpoint';
import { FakeChannel, waitFor } from './fixtures/fakeChannel';

/** Settles within a few macrotasks, or says it is still pending. */
async function settledSoon<T>(p: Promise<T>): Promise<{ status: 'fulfilled'; value: T } | { status: 'rejected'; reason: unknown } | 'pending'> {
  let out: { status: 'fulfilled'; value: T } | { status: 'rejected'; reason: unknown } | 'pending' = 'pending';
  p.then(
    (value) => (out = { status: 'fulfilled', value }),
    (reason) => (out = { status: 'rejected', reason }),
  );
  for (let i = 0; i < 20 && out === 'pending'; i++) await new Promise((r) => setImmediate(r));
  return out;
}

describe('return() called while a next() is pending', () => {
  it('a for-await waiting for a message ends (done) when another piece of code calls return(); messages go to the next iteration', async () => {
    const ch = new FakeChannel<number>();
    const store = memoryCheckpoint();
    const it1 = messages(ch.asChannel(), { checkpoint: store });
    const seen: number[] = [];
    const loop = (async () => {
      for await (const msg of it1) seen.push(msg.offset);
      return 'loop ended';
    })();
    await waitFor(() => ch.handlers.length === 1, 2000, 'subscribe');
    ch.emit(1, 1);
    await waitFor(() => seen.length === 1, 2000, 'message 1');
    // The loop body finished and waits in next() for message 2: stop it from elsewhere.
    await it1.return();
    expect(await settledSoon(loop)).toEqual({ status: 'fulfilled', value: 'loop ended' });
    expect(ch.handlers.length).toBe(0);
    expect(store.saved.get('orders')).toEqual({ offset: 1, epoch: 'e1' });

    // A later iteration resumes right after: no loss, no duplicate.
    const it2 = messages(ch.asChannel(), { checkpoint: store });
    const p = it2.next();
    await waitFor(() => ch.handlers.length === 1, 2000, 'subscribe again');
    ch.emit(2, 2);
    expect((await p).value!.offset).toBe(2);
    await it2.return();
  });

  it('return() while the first next() is still opening the channel ends that next() with done, not a TypeError', async () => {
    const ch = new FakeChannel<number>();
    let opened!: () => void;
    const gate = new Promise<void>((resolve) => (opened = resolve));
    const it1 = new MessageIterator<number>({
      open: async () => {
        await gate; // the checkpoint is loading
        return { channel: ch.asChannel(), start: null };
      },
    });
    const first = it1.next();
    await new Promise((r) => setImmediate(r)); // next() is inside open()
    const ret = it1.return();
    opened();
    expect(await settledSoon(first)).toEqual({ status: 'fulfilled', value: { done: true, value: undefined } });
    await ret;
    expect(ch.handlers.length).toBe(0);
  });
});
