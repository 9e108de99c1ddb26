// examples/node-subscriber's demo counts repeats instead of hiding them in a Set: a kill -9
// may repeat only what packages/node promises (the in-flight window), anything else fails it.
import { describe, expect, it } from 'vitest';
import { tally } from '../../examples/node-subscriber/tally.mjs';

type Line = { worker: number; order: number };
const lines = (worker: number, ...orders: number[]): Line[] => orders.map((order) => ({ worker, order }));
const check = (processed: Line[], total: number, window?: number) => tally(processed, total, window);

describe('examples/node-subscriber tally', () => {
  it('a run with no repeat, and one that repeats the order the killed worker was on, both keep the promise', () => {
    expect(check([...lines(1, 1, 2, 3), ...lines(2, 4, 5)], 5)).toEqual({ missing: [], redelivered: [], outsideWindow: [] });
    expect(check([...lines(1, 1, 2, 3), ...lines(2, 3, 4, 5)], 5)).toEqual({ missing: [], redelivered: [3], outsideWindow: [] });
  });

  it('an older order processed again, a repeat within one worker, or a third delivery is outside the window', () => {
    expect(check([...lines(1, 1, 2, 3), ...lines(2, 2, 3, 4)], 4).outsideWindow).toEqual([2]);
    expect(check([...lines(1, 1, 2, 2), ...lines(2, 3)], 3).outsideWindow).toEqual([2]);
    expect(check([...lines(1, 1, 2), ...lines(2, 2, 2, 3)], 3).outsideWindow).toEqual([2]);
  });

  it('a wider window (maxUncommitted) allows that many of the last orders, no older one', () => {
    const processed = [...lines(1, 1, 2, 3, 4), ...lines(2, 3, 4, 5)];
    expect(check(processed, 5, 2).outsideWindow).toEqual([]);
    expect(check(processed, 5, 1).outsideWindow).toEqual([3]);
  });

  it('names every order never processed', () => {
    expect(check([...lines(1, 1), ...lines(2, 3)], 4).missing).toEqual([2, 4]);
  });
});
