// README, messages(): with `autoAck: false` "only msg.ack() acknowledges, in any order",
// and `maxUncommitted` "is also the concurrency": a worker pool takes up to n messages
// and acks each when its task finishes. When the iteration ended (signal, break, drain)
// while tasks still ran, the acks those tasks made afterwards were silently ignored: the
// checkpoint did not move, and the next iteration in the same process handed the
// already-processed messages out again; a drain reported clean without them.
import { describe, expect, it } from 'vitest';
import type { Position } from '@lifeline/core';
import { messages } from '../src/messageIterator';
import { memoryCheckpoint } from '../src/checkpoint/memoryCheckpoint';
import { createNodeClient, type AckableMessage, type CheckpointStore } from '../src/index';
import { FakeChannel, waitFor } from './fixtures/fakeChannel';
import { publishHttp } from './fixtures/publishHttp';
import { useTestServer } from './fixtures/testServer';

/** A pool of 2 took #1 and #2 when the iteration is asked to stop; returns their messages. */
async function poolStoppedWithTwoRunning(ch: FakeChannel<string>, store: ReturnType<typeof memoryCheckpoint>) {
  const ac = new AbortController();
  const it1 = messages(ch.asChannel(), { checkpoint: store, autoAck: false, maxUncommitted: 4, signal: ac.signal });
  const first = it1.next();
  await waitFor(() => ch.handlers.length === 1, 2000, 'subscribe');
  for (let i = 1; i <= 4; i++) ch.emit(i, `m${i}`);
  const m1 = (await first).value!;
  const m2 = (await it1.next()).value!;
  ac.abort(); // shutdown asked while both tasks run: the loop's next next() gets done
  expect((await it1.next()).done).toBe(true);
  return { it1, m1, m2 };
}

describe('msg.ack() after the iteration ended', () => {
  it('is not lost: the next iteration in this process does not hand the processed messages out again', async () => {
    const ch = new FakeChannel<string>();
    const store = memoryCheckpoint();
    const { m1, m2 } = await poolStoppedWithTwoRunning(ch, store);
    m2.ack(); // out of order, after the end
    m1.ack();
    const it2 = messages(ch.asChannel(), { checkpoint: store, autoAck: false, maxUncommitted: 4 });
    const next = (await it2.next()).value!;
    await it2.return();
    expect({ checkpoint: store.saved.get('orders')?.offset ?? null, nextOffset: next.offset }).toEqual({ checkpoint: 2, nextOffset: 3 });
  });

  it('is committed at once when it completes the acknowledged prefix, without another iteration', async () => {
    const ch = new FakeChannel<string>();
    const store = memoryCheckpoint();
    const { it1, m1, m2 } = await poolStoppedWithTwoRunning(ch, store);
    expect(it1.awaitingAcknowledgement).toBe(2);
    m2.ack();
    await it1.flushed();
    expect(store.saved.get('orders') ?? null).toBeNull(); // #1 is still running: nothing skips it
    m1.ack();
    await it1.acknowledged(); // every message handed out before the stop is acknowledged and written
    expect(store.saved.get('orders')?.offset).toBe(2);
    m1.ack(); // idempotent
    const it2 = messages(ch.asChannel(), { checkpoint: store, autoAck: false, maxUncommitted: 4 });
    expect((await it2.next()).value!.offset).toBe(3);
    await it2.return();
  });

  it('an ack of a message a later iteration handed out again counts there (no second delivery after it)', async () => {
    const ch = new FakeChannel<string>();
    const store = memoryCheckpoint();
    const { m1, m2 } = await poolStoppedWithTwoRunning(ch, store);
    const it2 = messages(ch.asChannel(), { checkpoint: store, autoAck: false, maxUncommitted: 1 });
    const again = (await it2.next()).value!; // #1 again: its first task has not acked yet
    expect(again.offset).toBe(1);
    m1.ack(); // the first task finishes now
    m2.ack();
    expect((await it2.next()).value!.offset).toBe(3); // #2 skipped: acknowledged meanwhile
    await it2.return();
    expect(store.saved.get('orders')?.offset).toBe(2);
  });
});

describe('drain() and a worker pool (autoAck: false)', () => {
  const testServer = useTestServer();

  function recordingStore(): CheckpointStore & { saved: Map<string, Position> } {
    const saved = new Map<string, Position>();
    return { saved, load: async (c) => saved.get(c) ?? null, save: async (c, p) => void saved.set(c, { ...p }) };
  }

  async function poolUnderDrain(channel: string, ackBoth: boolean, timeoutMs: number) {
    const store = recordingStore();
    const client = createNodeClient({ url: testServer.url, checkpoint: store });
    const ch = client.channel<{ n: number }>(channel);
    await ch.ready();
    let finishTasks!: () => void;
    const gate = new Promise<void>((r) => (finishTasks = r));
    const taken: Array<AckableMessage<{ n: number }>> = [];
    const tasks: Array<Promise<void>> = [];
    const loop = (async () => {
      for await (const msg of ch.messages({ autoAck: false, maxUncommitted: 2 })) {
        taken.push(msg);
        tasks.push(gate.then(() => (ackBoth || msg.data.n === 1 ? msg.ack() : undefined)));
      }
    })();
    await waitFor(() => ch.channel?.getSnapshot().state === 'subscribed', 5000, 'subscribed');
    for (let n = 1; n <= 3; n++) await publishHttp(testServer.httpUrl, channel, { n }, `${channel}-${n}`);
    await waitFor(() => taken.length === 2, 5000, 'two tasks running');
    const draining = client.drain({ timeoutMs });
    await loop; // the loop got `done` while both tasks still run
    finishTasks();
    await Promise.all(tasks);
    const result = await draining;
    return { result, store };
  }

  it('waits for the acks of the messages the pool was processing, and commits them', async () => {
    const { result, store } = await poolUnderDrain('drain-pool', true, 5000);
    expect(result).toMatchObject({ clean: true, unfinishedConsumers: 0, failedCheckpoints: [] });
    expect(result.checkpoints['drain-pool']?.offset).toBe(2);
    expect(store.saved.get('drain-pool')?.offset).toBe(2);
  });

  it('a message never acknowledged: the drain ends at its deadline, not clean, and it is not committed', async () => {
    const { result, store } = await poolUnderDrain('drain-pool-unacked', false, 300);
    expect(result).toMatchObject({ clean: false, unfinishedConsumers: 1 });
    expect(result.checkpoints['drain-pool-unacked']?.offset).toBe(1);
    expect(store.saved.get('drain-pool-unacked')?.offset).toBe(1);
  });
});
