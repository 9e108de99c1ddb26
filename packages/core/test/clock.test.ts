import { describe, expect, it } from 'vitest';
import { createManualClock } from '../src/testing';

describe('createManualClock', () => {
  it('advance fires timers in due order at their due time', () => {
    const c = createManualClock(100);
    const seen: Array<[string, number]> = [];
    c.setTimeout(() => seen.push(['b', c.now()]), 20);
    c.setTimeout(() => seen.push(['a', c.now()]), 10);
    const h = c.setTimeout(() => seen.push(['x', c.now()]), 15);
    c.clearTimeout(h);
    expect(c.pending()).toBe(2);
    c.advance(25);
    expect(seen).toEqual([
      ['a', 110],
      ['b', 120],
    ]);
    expect(c.now()).toBe(125);
    expect(c.pending()).toBe(0);
  });
  it('runs timers scheduled by timers within the same advance', () => {
    const c = createManualClock();
    let n = 0;
    const tick = () => {
      n++;
      c.setTimeout(tick, 10);
    };
    c.setTimeout(tick, 10);
    c.advance(100);
    expect(n).toBe(10);
  });
  it('jump moves time first and then fires overdue timers late', () => {
    const c = createManualClock();
    let firedAt = -1;
    c.setTimeout(() => (firedAt = c.now()), 10);
    c.jump(60_000);
    expect(firedAt).toBe(60_000);
  });
});
