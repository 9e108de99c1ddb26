// memoryCheckpoint(initial): `Object.entries` read a Map — the type of a memory store's own
// `saved`, passed on to "restart" a consumer in a test — or a number as no positions at all
// (the channel then resumed at the head, skipping what was published, without a word), an
// array as channel "0", and `null` crashed with a raw TypeError. A Map is taken now;
// anything but a plain object or a Map is BAD_OPTION.
import { describe, expect, it } from 'vitest';
import { isLifelineNodeError, memoryCheckpoint } from '../src/index';
import { thrown } from './fixtures/thrown';

const pos = { offset: 7, epoch: 'e_1' };

describe('memoryCheckpoint(initial)', () => {
  it("takes a Map: another store's saved positions carry over", async () => {
    const before = memoryCheckpoint({ orders: pos });
    await before.save('billing', { offset: 3, epoch: 'e_2' });
    const after = memoryCheckpoint(before.saved);
    expect(await after.load('orders')).toEqual(pos);
    expect(await after.load('billing')).toEqual({ offset: 3, epoch: 'e_2' });
    // A copy: saves of one store do not show in the other.
    await after.save('orders', { offset: 8, epoch: 'e_1' });
    expect(await before.load('orders')).toEqual(pos);
  });

  it('takes a plain object, one without a prototype too, and no argument', async () => {
    expect(await memoryCheckpoint({ orders: pos }).load('orders')).toEqual(pos);
    const bare = Object.assign(Object.create(null) as Record<string, typeof pos>, { orders: pos });
    expect(await memoryCheckpoint(bare).load('orders')).toEqual(pos);
    expect(memoryCheckpoint().saved.size).toBe(0);
  });

  for (const [what, value] of [
    ['null', null],
    ['an array', [pos]],
    ['a number', 5],
    ['a string', 'orders'],
    ['a Set', new Set([pos])],
  ] as Array<[string, unknown]>) {
    it(`refuses ${what} with BAD_OPTION`, () => {
      const error = thrown(() => memoryCheckpoint(value as never));
      expect(isLifelineNodeError(error, 'BAD_OPTION'), String(error)).toBe(true);
      expect((error as Error).message).toMatch(/initial must be a plain object or a Map/);
    });
  }

  it('refuses a Map entry that is not a position, or whose key is not a string', () => {
    expect(isLifelineNodeError(thrown(() => memoryCheckpoint(new Map([['orders', { offset: '7', epoch: 'e' }]]) as never)), 'BAD_OPTION')).toBe(true);
    expect(isLifelineNodeError(thrown(() => memoryCheckpoint(new Map([[1, pos]]) as never)), 'BAD_OPTION')).toBe(true);
  });
});
