// The node-wide replay byte budget (replayBudget.ts), on its own: no server, no clock (waiting
// is promises only: a release admits whoever now fits, with no timer and no polling).
// Per connection a replay held about a page and its paced queue (~2 MiB), but nothing bounded
// the sum over connections: 10,000 connections that never read held ~20 GB.
import { describe, expect, it } from 'vitest';
import { REPLAY_PAGE_BYTES } from '../src/replay';
import { DEFAULT_REPLAY_STALL_MS, defaultMaxReplayBytes, ReplayBudget, ReplayClosedError, type ReplayAccount } from '../src/replayBudget';
import { ReplayEvictionLines, EVICTION_LINES_PER_INTERVAL } from '../src/opsLog';
import { FakeClock } from './helpers/fakeClock';

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

// Clients that never read keep their share until they close, and heartbeats do not cut one
// that pings: a few hundred of them stalled every other replay of the node for good. Once
// the first read in line has waited replayStallMs, the holder of the most bytes that has
// handed none to the kernel for as long is closed (1013 in the server), one per check.
describe('ReplayBudget: evicting a holder that stalls the line (replayStallMs)', () => {
  const STALL = 10_000;

  function setup(max: number) {
    const clock = new FakeClock();
    const lines: { msg: string; meta: unknown }[] = [];
    const logger = { debug: () => {}, info: () => {}, error: () => {}, warn: (msg: string, meta?: unknown) => lines.push({ msg, meta }) };
    const budget = new ReplayBudget(max, { clock, stallMs: STALL, lines: new ReplayEvictionLines(logger, clock) });
    const evicted: string[] = [];
    const accounts = new Map<string, ReplayAccount>();
    const account = (id: string) => {
      // As in the server: the account closes when the socket does, some time after the 1013.
      const a = budget.account({ id, evict: () => evicted.push(id) });
      accounts.set(id, a);
      return a;
    };
    /** An account holding `bytes` of a settled page, none of it with the kernel yet. */
    const holding = async (id: string, bytes: number) => {
      const a = account(id);
      await a.beforeRead(MiB);
      a.settle(bytes);
      return a;
    };
    return { clock, budget, evicted, account, holding, lines };
  }

  it('the default grace period is 10 s', () => {
    expect(DEFAULT_REPLAY_STALL_MS).toBe(10_000);
  });

  it('once a read has waited the grace period, the holder of the most bytes with no write progress for as long is evicted; one that progresses is spared however much it holds', async () => {
    const { clock, budget, evicted, account, holding, lines } = await setup(6 * MiB);
    const small = await holding('small', MiB);
    await holding('stuck', 2 * MiB);
    const reader = await holding('reader', 3 * MiB - 1); // most bytes of all, but its client reads
    const w = watch(account('late').beforeRead(MiB));
    await flush();
    expect(budget.waiting).toBe(1);
    // The reader's client takes a frame every 4 s: steady progress, however slow.
    for (let t = 0; t < STALL - 1; t += 4000) {
      clock.advance(Math.min(4000, STALL - 1 - t));
      reader.release(1000);
    }
    expect(evicted).toEqual([]); // the read has not waited the grace period yet
    clock.advance(1);
    expect(evicted).toEqual(['stuck']); // not `reader` (progressing), not `small` (holds less)
    expect(budget.evictions).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.meta).toMatchObject({ session: 'stuck', bytes: 2 * MiB, stalledMs: STALL });
    expect(small.held).toBe(MiB);
    expect(w.done).toBe(false);
  });

  it('no eviction while nothing waits, however long holders stall; and no timer at all then', async () => {
    const { clock, budget, evicted, holding } = await setup(3 * MiB);
    await holding('a', 1.5 * MiB);
    await holding('b', 1.5 * MiB);
    expect(budget.held).toBe(3 * MiB);
    expect(clock.pending).toBe(0);
    clock.advance(10 * STALL);
    expect(evicted).toEqual([]);
    expect(clock.pending).toBe(0);
  });

  it('one timer for the whole line, cleared when the line empties (admitted, or its reads given up)', async () => {
    const { clock, budget, account, holding } = await setup(2 * MiB);
    const holder = await holding('holder', 2 * MiB);
    const waiters = Array.from({ length: 50 }, (_, i) => account(`w${i}`));
    for (const w of waiters) w.beforeRead(MiB).catch(() => undefined);
    await flush();
    expect(budget.waiting).toBe(50);
    expect(clock.pending).toBe(1);
    for (const w of waiters) w.close(); // given up: the line empties
    expect(budget.waiting).toBe(0);
    expect(clock.pending).toBe(0);
    const late = watch(account('late').beforeRead(MiB));
    await flush();
    expect(clock.pending).toBe(1);
    holder.release(MiB); // admitted: the line empties
    await flush();
    expect(late.done).toBe(true);
    expect(clock.pending).toBe(0);
  });

  it('one eviction per check: the next only once the last one closed (its bytes back) and a read still waited the grace period', async () => {
    const { clock, budget, evicted, account, holding } = await setup(4 * MiB);
    const a = await holding('a', 2 * MiB);
    const b = await holding('b', 1.5 * MiB);
    const firstIn = watch(account('first').beforeRead(MiB));
    clock.advance(STALL);
    expect(evicted).toEqual(['a']);
    clock.advance(2);
    const secondIn = watch(account('second').beforeRead(2 * MiB));
    // a's socket has not closed yet (a client that does not read: up to CLOSE_STALL_MS), and
    // `first` has waited longer than the grace period: still no second eviction meanwhile.
    clock.advance(STALL - 3);
    expect(evicted).toEqual(['a']);
    expect(firstIn.done).toBe(false);
    a.close();
    await flush();
    expect(firstIn.done).toBe(true); // a's bytes admitted the first in line
    // The check runs again at once; the second has waited 3 ms short of the grace period: not yet.
    clock.advance(0);
    expect(evicted).toEqual(['a']);
    clock.advance(2);
    expect(evicted).toEqual(['a']);
    clock.advance(1);
    expect(evicted).toEqual(['a', 'b']);
    b.close();
    await flush();
    expect(secondIn.done).toBe(true);
    expect(budget.waiting).toBe(0);
    expect(clock.pending).toBe(0);
    expect(budget.evictions).toBe(2);
  });

  it('an evicted connection whose socket does not close is not picked again; after the grace period the next holder may be', async () => {
    const { clock, evicted, account, holding } = await setup(4 * MiB);
    await holding('a', 2 * MiB);
    await holding('b', 1.5 * MiB);
    account('late').beforeRead(MiB).catch(() => undefined);
    clock.advance(STALL);
    expect(evicted).toEqual(['a']);
    clock.advance(STALL);
    expect(evicted).toEqual(['a', 'b']);
    clock.advance(5 * STALL);
    expect(evicted).toEqual(['a', 'b']); // nobody else holds anything
  });

  it('a holder that starts holding is given the whole grace period; a reservation alone (a read waiting on the broker) is never evicted', async () => {
    const { clock, evicted, account, holding } = await setup(3 * MiB);
    const reading = account('reading');
    await reading.beforeRead(MiB); // reserved: its read is in progress
    clock.advance(STALL);
    const fresh = await holding('fresh', 2 * MiB); // starts holding now
    account('late').beforeRead(MiB).catch(() => undefined);
    clock.advance(STALL - 1);
    expect(evicted).toEqual([]); // `reading` has held 20 s, but only a reservation; `fresh` 10 s - 1 ms
    clock.advance(1);
    expect(evicted).toEqual(['fresh']);
    expect(fresh.held).toBe(2 * MiB);
  });

  // Found by a review: a reservation alone is a read waiting on the broker; the grace of its
  // holder starts when the page lands, not when the read was reserved (a slow Redis got a
  // reader evicted the moment its page arrived, before its client could take a byte).
  it('a page that lands after a long broker read gets the whole grace period before its holder may be evicted', async () => {
    const clock = new FakeClock();
    const budget = new ReplayBudget(2 * MiB, { clock, stallMs: STALL });
    const evicted: string[] = [];
    const account = (id: string): ReplayAccount => budget.account({ id, evict: () => evicted.push(id) });
    const reader = account('reader');
    await reader.beforeRead(MiB); // its broker read takes ~25 s
    const stuck = account('stuck');
    await stuck.beforeRead(MiB);
    stuck.settle(MiB); // never read
    account('late').beforeRead(2 * MiB).catch(() => undefined);
    await flush();
    expect(budget.waiting).toBe(1);
    clock.advance(STALL);
    expect(evicted).toEqual(['stuck']);
    clock.advance(5000);
    stuck.close();
    await flush();
    clock.advance(STALL - 1);
    expect(evicted).toEqual(['stuck']); // a reservation alone is never evicted
    reader.settle(MiB); // the page lands now
    clock.advance(1);
    expect(evicted).toEqual(['stuck']);
    clock.advance(STALL - 1);
    expect(evicted).toEqual(['stuck', 'reader']); // its own grace, counted from the page
  });

  it('of the holders stalled past the grace period, the one without progress the longest goes first, even holding less', async () => {
    const clock = new FakeClock();
    const budget = new ReplayBudget(3 * MiB, { clock, stallMs: STALL });
    const evicted: string[] = [];
    const account = (id: string): ReplayAccount => budget.account({ id, evict: () => evicted.push(id) });
    const never = account('never');
    await never.beforeRead(MiB);
    never.settle(MiB);
    clock.advance(3000);
    const slow = account('slow'); // took its last bytes 3 s later, and holds more
    await slow.beforeRead(MiB);
    slow.settle(2 * MiB);
    account('late').beforeRead(MiB).catch(() => undefined);
    await flush();
    clock.advance(STALL);
    expect(evicted).toEqual(['never']);
  });

  it('progress the socket reports (bytes the kernel took) spares a holder whose write callbacks have not come yet', async () => {
    const clock = new FakeClock();
    const budget = new ReplayBudget(MiB, { clock, stallMs: STALL });
    const evicted: string[] = [];
    let taken = 0;
    const reader = budget.account({ id: 'reader', evict: () => evicted.push('reader'), sent: () => taken });
    await reader.beforeRead(MiB);
    reader.settle(MiB); // one corked batch: its callbacks come only once all of it is taken
    budget.account({ id: 'late', evict: () => evicted.push('late') }).beforeRead(MiB).catch(() => undefined);
    await flush();
    for (let i = 0; i < 10; i++) {
      taken += 16 * 1024; // the kernel takes a little at a time
      clock.advance(STALL / 2);
    }
    expect(evicted).toEqual([]);
    clock.advance(STALL); // it stops taking anything
    expect(evicted).toEqual(['reader']);
  });

  it('Infinity, or a budget made without stall options, never evicts and arms no timer', async () => {
    const clock = new FakeClock();
    const evicted: string[] = [];
    for (const budget of [new ReplayBudget(MiB, { clock, stallMs: Infinity }), new ReplayBudget(MiB)]) {
      const a = budget.account({ id: 'a', evict: () => evicted.push('a') });
      await a.beforeRead(MiB);
      a.settle(MiB);
      budget.account().beforeRead(MiB).catch(() => undefined);
      await flush();
      expect(clock.pending).toBe(0);
      clock.advance(10 * STALL);
    }
    expect(evicted).toEqual([]);
  });

  it('evictions are logged a few per interval by id, the rest counted in one line', () => {
    const clock = new FakeClock();
    const lines: string[] = [];
    const logger = { debug: () => {}, info: () => {}, error: () => {}, warn: (msg: string) => lines.push(msg) };
    const log = new ReplayEvictionLines(logger, clock);
    for (let i = 0; i < 20; i++) log.evicted(`s${i}`, MiB, STALL);
    expect(lines).toHaveLength(EVICTION_LINES_PER_INTERVAL);
    clock.advance(10_000);
    log.evicted('next', MiB, STALL); // a new interval: the count of the last one first
    expect(lines).toHaveLength(EVICTION_LINES_PER_INTERVAL + 2);
    expect(lines.at(-2)).toMatch(/closed 15 more connection/);
    log.flush();
    expect(lines).toHaveLength(EVICTION_LINES_PER_INTERVAL + 2);
  });
});
