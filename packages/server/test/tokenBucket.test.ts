import { describe, expect, it } from 'vitest';
import { TokenBucket, WindowCounter } from '../src/tokenBucket';
import { FakeClock } from './helpers/fakeClock';

describe('TokenBucket (fake clock)', () => {
  it('allows a burst, then refills at the rate and says how long to wait', () => {
    const clock = new FakeClock();
    const b = new TokenBucket(10, 3, clock);
    expect([b.take(), b.take(), b.take()]).toEqual([0, 0, 0]);
    expect(b.take()).toBe(100);
    clock.advance(50);
    expect(b.take()).toBe(50);
    clock.advance(50);
    expect(b.take()).toBe(0);
    clock.advance(10_000);
    expect([b.take(), b.take(), b.take(), b.take()]).toEqual([0, 0, 0, 100]); // capped at the burst
  });

  it('an infinite rate never refuses', () => {
    const b = new TokenBucket(Infinity, Infinity, new FakeClock());
    for (let i = 0; i < 10_000; i++) expect(b.take()).toBe(0);
  });
});

describe('WindowCounter (fake clock)', () => {
  it('trips when `limit` events fall inside the window, not when they are spread out', () => {
    const clock = new FakeClock();
    const w = new WindowCounter(3, 1000, clock);
    expect(w.hit()).toBe(false);
    clock.advance(600);
    expect(w.hit()).toBe(false);
    clock.advance(600); // the first event is now 1200 ms old
    expect(w.hit()).toBe(false);
    expect(w.hit()).toBe(true); // events at 600, 1200, 1200: three inside 1000 ms
  });
});
