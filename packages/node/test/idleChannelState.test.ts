// A channel iterated once and left kept its consumer state — checkpoint committer,
// listener set, leftover queue, ~0.35 KB — for the life of the client: ~1.2 KB per
// channel with core's channel and the NodeChannel, for a service that visits channels
// (a room, a tenant) one after the other. An idle state is released now, keeping only the
// durable position; a later iteration goes on exactly as it did with the kept state.
import { describe, expect, it } from 'vitest';
import type { Position } from '@lifeline/core';
import { memoryCheckpoint } from '../src/checkpoint/memoryCheckpoint';
import type { CheckpointStore } from '../src/checkpoint/types';
import { heldConsumerState } from '../src/consumerState';
import { MessageIterator } from '../src/messageIterator';
import { FakeChannel, waitFor } from './fixtures/fakeChannel';

/**
 * An iterator opening `ch` with a fixed start, as the Node channel does (the checkpoint
 * read when the channel was made: stale once an iteration moved on).
 */
function iterate(ch: FakeChannel<number>, store: CheckpointStore | null, start: Position | null, autoAck = true) {
  return new MessageIterator<number>({ open: async () => ({ channel: ch.asChannel(), start }), checkpoint: store }, { autoAck });
}

/** Polls `cond` on every turn of the event loop (fast enough for thousands of channels). */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; !cond(); i++) {
    if (i > 10_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

async function consumeTwo(ch: FakeChannel<number>, store: CheckpointStore | null) {
  const it = iterate(ch, store, null);
  const first = it.next();
  await until(() => ch.handlers.length === 1, 'subscribe');
  ch.emit(1, 1);
  ch.emit(2, 2);
  expect((await first).value!.offset).toBe(1);
  expect((await it.next()).value!.offset).toBe(2);
  const third = it.next(); // acknowledges 2, then waits
  await until(() => it.committed?.offset === 2, 'commit of 2');
  await it.return();
  await third;
  return it;
}

describe('an idle channel releases its consumer state', () => {
  it('once every message is acknowledged and written; the next iteration resumes from the durable position', async () => {
    const ch = new FakeChannel<number>();
    const store = memoryCheckpoint();
    await consumeTwo(ch, store);
    expect(store.saved.get('orders')).toEqual({ offset: 2, epoch: 'e1' });
    expect(heldConsumerState(ch)).toBeUndefined();

    // The start handed in is stale (null): the durable position kept by the release wins.
    const it = iterate(ch, store, null);
    const next = it.next();
    await waitFor(() => ch.handlers.length === 1, 2000, 'subscribe again');
    expect(it.committed).toEqual({ offset: 2, epoch: 'e1' });
    ch.emit(2, 2); // a duplicate of what was processed: still dropped
    ch.emit(3, 3);
    expect((await next).value!.offset).toBe(3);
    const after = it.next();
    await waitFor(() => store.saved.get('orders')?.offset === 3, 2000, 'commit of 3');
    await it.return();
    await after;
  });

  it('without a store too', async () => {
    const ch = new FakeChannel<number>();
    await consumeTwo(ch, null);
    expect(heldConsumerState(ch)).toBeUndefined();
    const it = iterate(ch, null, null);
    const next = it.next();
    await waitFor(() => ch.handlers.length === 1, 2000, 'subscribe again');
    expect(it.committed).toEqual({ offset: 2, epoch: 'e1' });
    await it.return();
    await next;
  });

  it('is kept while a message handed out is unacknowledged: the next iteration gets it', async () => {
    const ch = new FakeChannel<number>();
    const it = iterate(ch, memoryCheckpoint(), null, false);
    const first = it.next();
    await waitFor(() => ch.handlers.length === 1, 2000, 'subscribe');
    ch.emit(1, 1);
    expect((await first).value!.offset).toBe(1);
    await it.return();
    expect(heldConsumerState(ch)?.leftover).toHaveLength(1);
    const again = iterate(ch, null, null);
    expect((await again.next()).value!.offset).toBe(1);
    await again.return();
  });

  it('is kept after a failed write: the next iteration writes the position again', async () => {
    const ch = new FakeChannel<number>();
    let fail = true;
    const saved: Position[] = [];
    const store: CheckpointStore = {
      load: async () => null,
      save: async (_channel, position) => {
        if (fail) throw new Error('ENOSPC');
        saved.push(position);
      },
    };
    const it = iterate(ch, store, null);
    const first = it.next();
    await waitFor(() => ch.handlers.length === 1, 2000, 'subscribe');
    ch.emit(1, 1);
    await first;
    await expect(it.next()).rejects.toMatchObject({ code: 'CHECKPOINT_FAILED' });
    expect(heldConsumerState(ch)?.committer.error).not.toBeNull();
    fail = false;
    const again = iterate(ch, store, null);
    const next = again.next();
    await waitFor(() => saved.length === 1, 2000, 'the position written again');
    expect(saved).toEqual([{ offset: 1, epoch: 'e1' }]);
    await again.return();
    await next;
  });
});
