import { describe, expect, it } from 'vitest';
import { memoryBroker } from '../src/broker/memoryBroker';
import type { Broker } from '../src/broker/types';
import { planReplay } from '../src/replay';

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
    expect(plan).toMatchObject({ head: 3, messages: [] });
    expect(plan.recovered).toBeUndefined();
  });

  it('reads page after page until the head it first saw', async () => {
    const b = memoryBroker({ retention: 5000 });
    const epoch = await fill(b, 'c', 2500);
    const plan = await planReplay(b, 'c', { offset: 10, epoch }, 1000);
    expect(plan.recovered).toBe(true);
    expect(plan.head).toBe(2500);
    expect(plan.messages.map((m) => m.offset)).toEqual(Array.from({ length: 2490 }, (_, i) => 11 + i));
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
    expect(plan.head).toBe(1500);
    expect(plan.messages.at(-1)!.offset).toBe(1500);
    expect(plan.messages).toHaveLength(1500);
  });

  it('reports out-of-retention when retention trims the log between pages', async () => {
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
    expect(plan).toMatchObject({ recovered: false, reason: 'out-of-retention', messages: [] });
  });

  it('reports epoch-changed when the log is reset between pages', async () => {
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
    expect(await planReplay(b, 'c', { offset: 0, epoch }, 1000)).toMatchObject({ recovered: false, reason: 'epoch-changed' });
  });
});
