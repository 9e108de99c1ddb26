// The node-wide replay byte budget (replayBudget.ts), on its own: no server, no clock (waiting
// is promises only: a release admits whoever now fits, with no timer and no polling).
// Per connection a replay held about a page and its paced queue (~2 MiB), but nothing bounded
// the sum over connections: 10,000 connections that never read held ~20 GB.
import { describe, expect, it } from 'vitest';
import { REPLAY_PAGE_BYTES } from '../src/replay';
import { defaultMaxReplayBytes, ReplayBudget, ReplayClosedError } from '../src/replayBudget';

const MiB = 1024 * 1024;
/** Lets every settled promise's callbacks run. */
const flush = () => new Promise<void>((r) => setImmediate(r));

/** Starts a page read's wait and records when (and how) it ends. */
function watch(p: Promise<void>) {
  const w = { done: false, err: undefined as unknown };
  p.then(() => (w.done = true), (err: unknown) => (w.err = err));
  return w;
}

describe('ReplayBudget', () => {
  it('reads go ahead while their pages fit; past the bound the next waits until bytes are released', async () => {
    const budget = new ReplayBudget(3 * MiB);
    const [a, b, c, d] = [budget.account(), budget.account(), budget.account(), budget.account()];
    await a.beforeRead(MiB);
    await b.beforeRead(MiB);
    await c.beforeRead(MiB);
    expect(budget.held).toBe(3 * MiB);
    const w = watch(d.beforeRead(MiB));
    await flush();
    expect(w.done).toBe(false);
    expect(budget.waiting).toBe(1);
    // a's page turned out smaller than its reservation: the difference is not room enough yet.
    a.settle(MiB - 100);
    await flush();
    expect(w.done).toBe(false);
    // a's client read it all (its frames handed to the kernel): d goes ahead.
    a.release(MiB - 100);
    await flush();
    expect(w.done).toBe(true);
    expect(budget.waiting).toBe(0);
    expect(budget.held).toBe(3 * MiB);
    expect(d.held).toBe(MiB);
  });

  it('first come first served: a later wait is never let in ahead of an earlier one, even when it alone would fit', async () => {
    const budget = new ReplayBudget(3 * MiB);
    const holder = budget.account();
    await holder.beforeRead(MiB);
    holder.settle(2.5 * MiB);
    const order: string[] = [];
    const big = budget.account();
    const small = budget.account();
    void big.beforeRead(MiB).then(() => order.push('big'));
    void small.beforeRead(100).then(() => order.push('small'));
    await flush();
    expect(order).toEqual([]); // small (100 B) would fit in the 0.5 MiB left, but big came first
    holder.release(2.5 * MiB);
    await flush();
    expect(order).toEqual(['big', 'small']);
  });

  it('a page larger than the whole budget still goes ahead when nothing is held (no deadlock), and only then', async () => {
    const budget = new ReplayBudget(100_000);
    const a = budget.account();
    await a.beforeRead(REPLAY_PAGE_BYTES); // nothing held: admitted although larger than the bound
    a.settle(13 * MiB); // a memory-broker page of 200 large messages
    expect(budget.held).toBe(13 * MiB);
    const b = budget.account();
    const w = watch(b.beforeRead(REPLAY_PAGE_BYTES));
    await flush();
    expect(w.done).toBe(false);
    a.release(13 * MiB - 1);
    await flush();
    expect(w.done).toBe(false); // one byte still held: not "nothing"
    a.release(1);
    await flush();
    expect(w.done).toBe(true);
  });

  it('a connection that closes gives back all it held, reservation and queued frames, and its own wait ends with ReplayClosedError', async () => {
    const budget = new ReplayBudget(2 * MiB);
    const holder = budget.account();
    await holder.beforeRead(MiB);
    holder.settle(MiB);
    await holder.beforeRead(MiB); // its next page's reservation, its first page still queued
    expect(holder.held).toBe(2 * MiB);
    const leaver = budget.account();
    const waiter = budget.account();
    const left = watch(leaver.beforeRead(MiB));
    const w = watch(waiter.beforeRead(MiB));
    await flush();
    leaver.close();
    await flush();
    expect(left.err).toBeInstanceOf(ReplayClosedError);
    expect(budget.waiting).toBe(1);
    holder.close();
    await flush();
    expect(w.done).toBe(true);
    expect(budget.held).toBe(MiB); // waiter's reservation only
    // Write callbacks of frames of a closed connection arrive later: nothing is given back twice.
    holder.release(MiB);
    holder.unreserve();
    expect(budget.held).toBe(MiB);
    await expect(holder.beforeRead(MiB)).rejects.toBeInstanceOf(ReplayClosedError);
    waiter.unreserve();
    expect(budget.held).toBe(0);
  });

  it('a connection closing in the same turn its wait was admitted gives the reservation back', async () => {
    const budget = new ReplayBudget(MiB);
    const holder = budget.account();
    await holder.beforeRead(MiB);
    const a = budget.account();
    const w = watch(a.beforeRead(MiB));
    holder.unreserve(); // admits a, synchronously charging it
    a.close(); // before a's await resumed
    await flush();
    expect(w.err).toBeInstanceOf(ReplayClosedError);
    expect(budget.held).toBe(0);
  });

  it('a reservation still outstanding is reused (a plan reading again), and releases never take the reservation of the next page', async () => {
    const budget = new ReplayBudget(2 * MiB);
    const a = budget.account();
    await a.beforeRead(MiB);
    await a.beforeRead(MiB); // no second charge, no wait on its own reservation
    expect(budget.held).toBe(MiB);
    a.settle(1000);
    await a.beforeRead(MiB); // the next page's reservation, 1000 bytes of frames still queued
    expect(budget.held).toBe(MiB + 1000);
    a.release(5000); // more than its settled frames: only those 1000 go
    expect(a.held).toBe(MiB);
    expect(budget.held).toBe(MiB);
  });

  it('connections that join the line and leave while it is stuck do not pile up in it', async () => {
    const budget = new ReplayBudget(MiB);
    const holder = budget.account();
    await holder.beforeRead(MiB);
    const stay = budget.account();
    const w = watch(stay.beforeRead(MiB));
    for (let i = 0; i < 10_000; i++) {
      const a = budget.account();
      a.beforeRead(MiB).catch(() => undefined);
      a.close();
    }
    const queued = (budget as unknown as { queue: unknown[]; head: number });
    expect(queued.queue.length - queued.head).toBeLessThan(2000);
    expect(budget.waiting).toBe(1);
    holder.close();
    await flush();
    expect(w.done).toBe(true);
  });

  it('Infinity never waits; the default is an eighth of the heap limit, at most 256 MiB', async () => {
    const budget = new ReplayBudget(Infinity);
    for (let i = 0; i < 100; i++) await budget.account().beforeRead(MiB);
    expect(budget.held).toBe(100 * MiB);
    expect(defaultMaxReplayBytes()).toBeGreaterThan(0);
    expect(defaultMaxReplayBytes()).toBeLessThanOrEqual(256 * MiB);
  });
});
