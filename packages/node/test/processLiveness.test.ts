import { describe, expect, it, vi } from 'vitest';
import { ProcessKeepAlive, unrefClock } from '../src/processLiveness';

describe('process liveness', () => {
  it('unrefClock creates timers that do not hold the event loop, and clears them', () => {
    const clock = unrefClock();
    let fired = false;
    const h = clock.setTimeout(() => (fired = true), 60_000) as NodeJS.Timeout;
    expect(h.hasRef()).toBe(false);
    clock.clearTimeout(h);
    expect(fired).toBe(false);
  });

  it('unrefClock keeps core\'s timer cap: a delay Node would run after ~1 ms (2^31 ms or more) waits 2^31 - 1 ms', () => {
    // The Node client's clock is unrefClock(); it once wrapped a plain setTimeout, so a
    // 30-day Retry-After hint (RATE_LIMITED, 4290) fired at once, in a loop.
    const spy = vi.spyOn(globalThis, 'setTimeout');
    try {
      const clock = unrefClock();
      const h = clock.setTimeout(() => {}, 30 * 24 * 3600 * 1000);
      clock.clearTimeout(h);
      expect(spy).toHaveBeenCalledTimes(1);
      expect(spy.mock.calls[0]![1]).toBe(2 ** 31 - 1);
    } finally {
      spy.mockRestore();
    }
  });

  it('holds exactly one ref\'d handle while consumers run, released with the last one', () => {
    const ka = new ProcessKeepAlive();
    expect(ka.active).toBe(false);
    const r1 = ka.acquire();
    const r2 = ka.acquire();
    expect(ka.active).toBe(true);
    r1();
    r1(); // idempotent
    expect(ka.count).toBe(1);
    expect(ka.active).toBe(true);
    r2();
    expect(ka.active).toBe(false);
  });

  it('a release handed out before releaseAll() is a no-op afterwards (the count never goes below zero)', () => {
    const ka = new ProcessKeepAlive();
    const stale = ka.acquire();
    ka.releaseAll();
    const fresh = ka.acquire();
    stale();
    expect(ka.count).toBe(1);
    expect(ka.active).toBe(true);
    fresh();
    expect(ka.count).toBe(0);
    expect(ka.active).toBe(false);
  });

  it('holds nothing when disabled', () => {
    const ka = new ProcessKeepAlive(false);
    ka.acquire();
    expect(ka.active).toBe(false);
  });
});
