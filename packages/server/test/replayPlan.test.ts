import { describe, expect, it } from 'vitest';
import { memoryBroker } from '../src/broker/memoryBroker';
import type { Broker, StoredMessage } from '../src/broker/types';
import { planReplay, ReplayBrokenError, type ReplayPlan } from '../src/replay';

/** Every page of the plan, in order (reading the log as it goes). */
async function all(plan: ReplayPlan): Promise<StoredMessage[][]> {
  const pages: StoredMessage[][] = [];
  for await (const page of plan.pages) pages.push(page);
  return pages;
}

async function fill(b: Broker, channel: string, n: number): Promise<string> {
  let epoch = '';
  for (let i = 1; i <= n; i++) epoch = (await b.publish(channel, i)).epoch;
  return epoch;
}

describe('planReplay (unit)', () => {
  it('without since: the head, no recovery fields, nothing to replay', async () => {
    const b = memoryBroker();
    await fill(b, 'c', 3);
    const plan = await planReplay(b, 'c', undefined, 10);
    expect(plan).toMatchObject({ head: 3, count: 0 });
    expect(plan.recovered).toBeUndefined();
    expect(await all(plan)).toEqual([]);
  });

  it('reads page after page until the head it first saw', async () => {
    const b = memoryBroker({ retention: 5000 });
    const epoch = await fill(b, 'c', 2500);
    const plan = await planReplay(b, 'c', { offset: 10, epoch }, 1000);
    expect(plan).toMatchObject({ recovered: true, head: 2500, count: 2490 });
    const pages = await all(plan);
    expect(pages.map((p) => p.length)).toEqual([1000, 1000, 490]);
    expect(pages.flat().map((m) => m.offset)).toEqual(Array.from({ length: 2490 }, (_, i) => 11 + i));
  });

  it('stops at the first head even when more arrives between pages', async () => {
    const inner = memoryBroker({ retention: 5000 });
    const epoch = await fill(inner, 'c', 1500);
    let reads = 0;
    const b: Broker = {
      ...inner,
      read: async (ch, after, limit) => {
        if (reads++ === 1) await fill(inner, 'c', 200); // publishes land between page 1 and 2
        return inner.read(ch, after, limit);
      },
    };
    const plan = await planReplay(b, 'c', { offset: 0, epoch }, 1000);
    expect(plan).toMatchObject({ head: 1500, count: 1500 });
    const messages = (await all(plan)).flat();
    expect(messages.at(-1)!.offset).toBe(1500);
    expect(messages).toHaveLength(1500);
  });

  it('reads the next page only when the previous one was taken', async () => {
    const inner = memoryBroker({ retention: 5000 });
    const epoch = await fill(inner, 'c', 25);
    const reads: number[] = [];
    const b: Broker = { ...inner, read: (ch, after, limit) => (reads.push(after), inner.read(ch, after, limit)) };
    const plan = await planReplay(b, 'c', { offset: 0, epoch }, 10);
    expect(reads).toEqual([0]); // the first page decides recovered and count
    const it = plan.pages[Symbol.asyncIterator]();
    expect((await it.next()).value).toHaveLength(10);
    expect(reads).toEqual([0]);
    expect((await it.next()).value).toHaveLength(10);
    expect(reads).toEqual([0, 10]);
    expect((await it.next()).value).toHaveLength(5);
    expect(reads).toEqual([0, 10, 20]);
    expect((await it.next()).done).toBe(true);
    expect(reads).toEqual([0, 10, 20]);
  });

  it('a hole in the first page is an honest recovered: false (nothing was promised yet)', async () => {
    const inner = memoryBroker({ retention: 5000 });
    const epoch = await fill(inner, 'c', 5);
    const b: Broker = {
      ...inner,
      read: async (ch, after, limit) => {
        const r = await inner.read(ch, after, limit);
        return { ...r, messages: r.messages.filter((m) => m.offset !== 3) };
      },
    };
    expect(await planReplay(b, 'c', { offset: 0, epoch }, 10)).toMatchObject({ recovered: false, reason: 'out-of-retention', head: 5 });
  });

  it('retention trimming the log between pages: recovered and counted from the first page, then the pages throw out-of-retention', async () => {
    const inner = memoryBroker({ retention: 1200 });
    const epoch = await fill(inner, 'c', 1200);
    let reads = 0;
    const b: Broker = {
      ...inner,
      read: async (ch, after, limit) => {
        if (reads++ === 1) await fill(inner, 'c', 1200); // everything after page 1 is trimmed away
        return inner.read(ch, after, limit);
      },
    };
    const plan = await planReplay(b, 'c', { offset: 0, epoch }, 1000);
    expect(plan).toMatchObject({ recovered: true, head: 1200, count: 1200 });
    const pages: StoredMessage[][] = [];
    const err = await (async () => {
      for await (const page of plan.pages) pages.push(page);
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReplayBrokenError);
    expect((err as ReplayBrokenError).reason).toBe('out-of-retention');
    expect(pages.flat().map((m) => m.offset)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
  });

  it('the log reset between pages: the pages throw epoch-changed', async () => {
    const inner = memoryBroker({ retention: 5000 });
    const epoch = await fill(inner, 'c', 1500);
    let reads = 0;
    const b: Broker = {
      ...inner,
      read: async (ch, after, limit) => {
        if (reads++ === 1) await inner.reset();
        return inner.read(ch, after, limit);
      },
    };
    const plan = await planReplay(b, 'c', { offset: 0, epoch }, 1000);
    expect(plan).toMatchObject({ recovered: true, count: 1500 });
    const err = await all(plan).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReplayBrokenError);
    expect((err as ReplayBrokenError).reason).toBe('epoch-changed');
  });
});

describe('planReplay after lost continuity: the retained tail', () => {
  const offsets = (pages: StoredMessage[][]) => pages.flat().map((m) => m.offset);

  it('epoch changed: recovered false, the new epoch\'s retained messages up to the head follow', async () => {
    const b = memoryBroker({ retention: 5000 });
    const old = await fill(b, 'c', 10);
    await b.reset();
    const epoch = await fill(b, 'c', 3);
    // since.offset (10) is past the new log's start: read again from its earliest
    const plan = await planReplay(b, 'c', { offset: 10, epoch: old }, 100);
    expect(plan).toMatchObject({ recovered: false, reason: 'epoch-changed', epoch, head: 3, count: 3 });
    expect(offsets(await all(plan))).toEqual([1, 2, 3]);
    // since.offset below the new earliest: the first read is already the tail
    const low = await planReplay(b, 'c', { offset: 0, epoch: old }, 100);
    expect(low).toMatchObject({ recovered: false, reason: 'epoch-changed', count: 3 });
    expect(offsets(await all(low))).toEqual([1, 2, 3]);
  });

  it('out of retention: recovered false, the whole retained window (earliest..head) follows', async () => {
    const b = memoryBroker({ retention: 5 });
    const epoch = await fill(b, 'c', 10); // retained: 6..10
    const plan = await planReplay(b, 'c', { offset: 2, epoch }, 100);
    expect(plan).toMatchObject({ recovered: false, reason: 'out-of-retention', epoch, head: 10, count: 5 });
    expect(offsets(await all(plan))).toEqual([6, 7, 8, 9, 10]);
  });

  it('epoch changed to an empty log: no tail, count 0', async () => {
    const b = memoryBroker();
    const old = await fill(b, 'c', 4);
    await b.reset();
    const plan = await planReplay(b, 'c', { offset: 4, epoch: old }, 100);
    expect(plan).toMatchObject({ recovered: false, reason: 'epoch-changed', head: 0, count: 0 });
    expect(plan.epoch).not.toBe(old);
    expect(await all(plan)).toEqual([]);
  });

  it('since ahead of the head in the same epoch (the store lost writes): no tail, as before', async () => {
    const b = memoryBroker();
    const epoch = await fill(b, 'c', 3);
    const plan = await planReplay(b, 'c', { offset: 9, epoch }, 100);
    expect(plan).toMatchObject({ recovered: false, reason: 'out-of-retention', head: 3, count: 0 });
    expect(await all(plan)).toEqual([]);
  });

  it('a hole in the first page of the tail: the plain gap to the head, nothing follows', async () => {
    const inner = memoryBroker({ retention: 5 });
    const epoch = await fill(inner, 'c', 10);
    const b: Broker = {
      ...inner,
      read: async (ch, after, limit) => {
        const r = await inner.read(ch, after, limit);
        return { ...r, messages: r.messages.filter((m) => m.offset !== 8) };
      },
    };
    const plan = await planReplay(b, 'c', { offset: 2, epoch }, 100);
    expect(plan).toMatchObject({ recovered: false, reason: 'out-of-retention', head: 10, count: 0 });
    expect(await all(plan)).toEqual([]);
  });

  it('a long tail is read page by page, each page when the previous one was taken', async () => {
    const inner = memoryBroker({ retention: 5000 });
    const old = await fill(inner, 'c', 3000);
    await inner.reset();
    await fill(inner, 'c', 2500);
    const reads: number[] = [];
    const b: Broker = { ...inner, read: (ch, after, limit) => (reads.push(after), inner.read(ch, after, limit)) };
    const plan = await planReplay(b, 'c', { offset: 3000, epoch: old }, 1000);
    expect(plan).toMatchObject({ recovered: false, reason: 'epoch-changed', head: 2500, count: 2500 });
    expect(reads).toEqual([3000, 0]); // the old position, then the new log from its start
    const it = plan.pages[Symbol.asyncIterator]();
    expect((await it.next()).value).toHaveLength(1000);
    expect(reads).toEqual([3000, 0]);
    const pages = [(await it.next()).value as StoredMessage[], (await it.next()).value as StoredMessage[]];
    expect(pages.map((p) => p.length)).toEqual([1000, 500]);
    expect((await it.next()).done).toBe(true);
    expect(reads).toEqual([3000, 0, 1000, 2000]);
    expect(pages.flat().map((m) => m.offset)).toEqual(Array.from({ length: 1500 }, (_, i) => 1001 + i));
  });

  it('a tail trimmed between pages: the pages throw out-of-retention after the first', async () => {
    const inner = memoryBroker({ retention: 1200 });
    const epoch = await fill(inner, 'c', 1300); // retained: 101..1300
    let reads = 0;
    const b: Broker = {
      ...inner,
      read: async (ch, after, limit) => {
        if (reads++ === 1) await fill(inner, 'c', 1200); // the rest of the tail is trimmed away
        return inner.read(ch, after, limit);
      },
    };
    const plan = await planReplay(b, 'c', { offset: 50, epoch }, 1000);
    expect(plan).toMatchObject({ recovered: false, reason: 'out-of-retention', head: 1300, count: 1200 });
    const pages: StoredMessage[][] = [];
    const err = await (async () => {
      for await (const page of plan.pages) pages.push(page);
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReplayBrokenError);
    expect((err as ReplayBrokenError).reason).toBe('out-of-retention');
    expect(offsets(pages)).toEqual(Array.from({ length: 1000 }, (_, i) => 101 + i));
  });

  it('the log reset again between the reads of the plan: the tail of the newest epoch', async () => {
    const inner = memoryBroker({ retention: 5000 });
    const old = await fill(inner, 'c', 10);
    await inner.reset();
    await fill(inner, 'c', 5);
    let reads = 0;
    const b: Broker = {
      ...inner,
      read: async (ch, after, limit) => {
        if (reads++ === 1) {
          await inner.reset();
          await fill(inner, 'c', 2);
        }
        return inner.read(ch, after, limit);
      },
    };
    const plan = await planReplay(b, 'c', { offset: 10, epoch: old }, 100);
    const now = await inner.position('c');
    expect(plan).toMatchObject({ recovered: false, reason: 'epoch-changed', epoch: now.epoch, head: 2, count: 2 });
    expect(offsets(await all(plan))).toEqual([1, 2]);
  });
});
