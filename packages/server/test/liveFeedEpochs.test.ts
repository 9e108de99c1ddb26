// The live feed's own memory of several epochs (redisLiveFeed.ts `notified`, MAX_EPOCHS),
// without Redis: a notification at or below an offset already notified in an OLDER epoch
// (Redis failed back to it) makes the feed rotate that epoch instead of following it. In
// the Redis tests the broker's read check now notices the same failback first, so this is
// the only test that fails when the feed forgets older epochs.
import { describe, expect, it } from 'vitest';
import { RedisLiveFeed } from '../src/broker/redisLiveFeed';
import type { RedisSubscriptions } from '../src/broker/redisSubscriptions';
import type { ReadResult, StoredMessage } from '../src/broker/types';

const CH = 'room';

/** A channel log as the stubbed broker sees it, plus the feed's pub/sub handler. */
function harness() {
  let log = { epoch: 'A', seq: 0, messages: [] as StoredMessage[] };
  const handlers = new Map<string, (payload: string) => void>();
  const rotated: string[] = [];
  const errors: Error[] = [];
  const subscriptions = {
    add: async (name: string, handler: (payload: string) => void) => void handlers.set(name, handler),
    remove: async (name: string) => void handlers.delete(name),
  } as unknown as RedisSubscriptions;
  const feed = new RedisLiveFeed({
    subscriptions,
    feedName: (channel) => `${channel}:feed`,
    // No high-water check here: only the feed's own memory may notice.
    read: async (channel, after, limit): Promise<ReadResult> => ({
      epoch: log.epoch,
      head: log.seq,
      earliest: log.messages[0]?.offset ?? log.seq + 1,
      messages: log.messages.filter((m) => m.offset > after).slice(0, limit).map((m) => ({ ...m, channel })),
    }),
    observe: () => undefined,
    rotate: async (_channel, stale) => {
      rotated.push(stale);
      if (log.epoch === stale) log = { epoch: `R${rotated.length}`, seq: 0, messages: [] };
    },
    catchUpBatch: 100,
    retryLater: () => undefined,
    onError: (err) => errors.push(err),
  });
  // Every stub answers at once, so one macrotask turn lets the feed finish what it started.
  const settle = () => new Promise((r) => setImmediate(r));
  return {
    feed,
    rotated,
    errors,
    settle,
    /** Stores the next offset of the current epoch and notifies it, as the publish script does. */
    async publish(data: string): Promise<void> {
      const msg: StoredMessage = { channel: CH, epoch: log.epoch, offset: ++log.seq, data, ts: 0 };
      log.messages.push(msg);
      handlers.get(`${CH}:feed`)!(`${JSON.stringify([msg.epoch, msg.offset, '0', ''])}\n${JSON.stringify(data)}`);
      await settle();
    },
    /** Redis comes back with `epoch` holding only its first `keep` messages. */
    restore(epoch: string, messages: StoredMessage[], keep: number): void {
      log = { epoch, seq: keep, messages: messages.filter((m) => m.offset <= keep) };
    },
    /** A rotation to `epoch` after a loss (as another node's check would do). */
    rotateTo(epoch: string): void {
      log = { epoch, seq: 0, messages: [] };
    },
    snapshot: () => [...log.messages],
  };
}

describe('live feed: notifications of an older epoch', () => {
  it.each([
    { laterEpochs: 1, reused: 8 },
    { laterEpochs: 1, reused: 10 },
    { laterEpochs: 7, reused: 8 }, // A is the oldest of the 8 epochs remembered
  ])('after A:1..10 and $laterEpochs later epoch(s), a notification of A:$reused rotates A; the listener never gets A again', async ({ laterEpochs, reused }) => {
    const h = harness();
    const got: string[] = [];
    await h.feed.attach(CH, (m) => got.push(`${m.epoch}:${m.offset}:${String(m.data)}`));
    for (let i = 1; i <= 10; i++) await h.publish(`old-${i}`);
    const epochA = h.snapshot();

    const later = Array.from({ length: laterEpochs }, (_, i) => `L${i + 1}`);
    for (const epoch of later) {
      h.rotateTo(epoch);
      for (let i = 1; i <= 3; i++) await h.publish(`${epoch}-${i}`);
    }

    // Failback: A as it was at reused - 1; the next publish lands on A:reused again.
    h.restore('A', epochA, reused - 1);
    await h.publish('reused');
    expect(h.rotated).toEqual(['A']);
    await h.publish('after');

    expect(got).toEqual([
      ...Array.from({ length: 10 }, (_, i) => `A:${i + 1}:old-${i + 1}`),
      ...later.flatMap((epoch) => [1, 2, 3].map((i) => `${epoch}:${i}:${epoch}-${i}`)),
      'R1:1:after',
    ]);
    expect(h.errors).toEqual([]);
  });
});
