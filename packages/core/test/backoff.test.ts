import { describe, expect, it } from 'vitest';
import { createBackoff, isLifelineError } from '../src';

const seq = (...xs: number[]) => {
  let i = 0;
  return () => xs[i++ % xs.length]!;
};

describe('createBackoff', () => {
  it('full jitter (default): uniform below the capped exponential', () => {
    const b = createBackoff({ initialDelayMs: 100, maxDelayMs: 1000, factor: 2 });
    expect(b(1, 0, () => 0.5)).toBe(50);
    expect(b(3, 0, () => 0.5)).toBe(200); // cap 400
    expect(b(10, 0, () => 0.999)).toBeLessThan(1000);
    expect(b(10, 0, () => 0)).toBe(0);
  });
  it('equal jitter: half fixed, half random', () => {
    const b = createBackoff({ initialDelayMs: 100, jitter: 'equal' });
    expect(b(2, 0, () => 0)).toBe(100);
    expect(b(2, 0, () => 0.5)).toBe(150);
  });
  it('none: exactly the capped exponential', () => {
    const b = createBackoff({ initialDelayMs: 100, maxDelayMs: 500, factor: 3, jitter: 'none' });
    expect([1, 2, 3, 4].map((a) => b(a, 0, Math.random))).toEqual([100, 300, 500, 500]);
  });
  it('decorrelated: grows from the previous delay and stays under the cap', () => {
    const b = createBackoff({ initialDelayMs: 100, maxDelayMs: 2000, jitter: 'decorrelated' });
    expect(b(1, 0, () => 0)).toBe(100);
    expect(b(2, 1000, () => 1)).toBe(2000); // min(2000, 100 + 2900)
    expect(b(2, 300, () => 0.5)).toBe(100 + 0.5 * 800);
    const r = seq(0.3, 0.9, 0.1, 0.7);
    let prev = 0;
    for (let a = 1; a < 30; a++) {
      prev = b(a, prev, r);
      expect(prev).toBeGreaterThanOrEqual(100);
      expect(prev).toBeLessThanOrEqual(2000);
    }
  });
  it('checks its options as createClient does: undefined takes the default, a bad value throws', () => {
    // A spread let `initialDelayMs: undefined` through: every delay was NaN, a retry loop with no wait.
    const b = createBackoff({ initialDelayMs: undefined, jitter: 'none' });
    expect([1, 2].map((a) => b(a, 0, Math.random))).toEqual([500, 1000]);
    for (const bad of [{ initialDelayMs: Number.NaN }, { factor: 0.5 }, { jitter: 'fulll' as 'full' }]) {
      let err: unknown;
      try {
        createBackoff(bad);
      } catch (e) {
        err = e;
      }
      expect(isLifelineError(err, 'BAD_ARGUMENT')).toBe(true);
    }
  });
});
