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
    /** Hands the feed a notification as if it had been on its way since `msg` was stored. */
    async notify(msg: Omit<StoredMessage, 'channel' | 'ts'>): Promise<void> {
      handlers.get(`${CH}:feed`)!(`${JSON.stringify([msg.epoch, msg.offset, '0', ''])}\n${JSON.stringify(msg.data)}`);
      await settle();
    },
    /** The log as Redis holds it now (what reads see), without notifying anything. */
    replace(epoch: string, data: string[]): void {
      log = { epoch, seq: data.length, messages: data.map((d, i) => ({ channel: CH, epoch, offset: i + 1, data: d, ts: 0 })) };
    },
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

describe('live feed: a late notification of a history lost again', () => {
  it('arriving after a catch-up read moved the feed to a newer history, it never makes the listener get that history twice', async () => {
    const h = harness();
    const got: string[] = [];
    await h.feed.attach(CH, (m) => got.push(`${m.epoch}:${m.offset}`));
    await h.publish('a1');
    // Meanwhile Redis lost A, stored B:1 (its notification still on its way), lost B too
    // and stored C:1..2. A notification past a hole makes the feed read: it finds C.
    h.replace('C', ['c1', 'c2']);
    await h.notify({ epoch: 'A', offset: 3, data: 'a3' });
    expect(got).toEqual(['A:1', 'C:1', 'C:2']);
    // B:1's notification arrives late, then C:3's.
    await h.notify({ epoch: 'B', offset: 1, data: 'b1' });
    h.replace('C', ['c1', 'c2', 'c3']);
    await h.notify({ epoch: 'C', offset: 3, data: 'c3' });
    // Each message once: C:1 and C:2 are not handed out again after B:1.
    expect(got.filter((x) => x.startsWith('C:'))).toEqual(['C:1', 'C:2', 'C:3']);
    expect(h.errors).toEqual([]);
  });
});
