import { describe, expect, it } from 'vitest';
import { SpreadingBucket } from '../src/refusalSpread';
import { TokenBucket } from '../src/tokenBucket';
import { FakeClock } from './helpers/fakeClock';

// The reconnect wave after a drain meets the replacement node's admission bucket: a
// refusal must send the client behind the crowd, not back in 2 ms (storm, drain 10k).
describe('SpreadingBucket (admission refusals after a drain)', () => {
  it('admits like a token bucket: burst, then the rate', () => {
    const clock = new FakeClock();
    const b = new SpreadingBucket(500, 500, clock);
    for (let i = 0; i < 500; i++) expect(b.take()).toBe(0);
    expect(b.take()).toBeGreaterThan(0);
    clock.advance(2);
    expect(b.take()).toBe(0); // one token every 2 ms at 500/s
  });

  it('a lone refusal gets the plain bucket hint: the time to the next token', () => {
    const clock = new FakeClock();
    const plain = new TokenBucket(2, 2, clock);
    const spread = new SpreadingBucket(2, 2, clock);
    for (const b of [plain, spread]) b.take(), b.take();
    expect(spread.take()).toBe(plain.take()); // 500 ms at 2/s
  });

  it('a crowd of refusals is told to come back behind one another: hint ≈ refused ÷ rate', () => {
    const clock = new FakeClock();
    const b = new SpreadingBucket(500, 500, clock);
    for (let i = 0; i < 500; i++) b.take();
    const hints = Array.from({ length: 300 }, () => b.take());
    expect(hints[0]).toBe(2);
    expect(hints[99]).toBe(200); // the 100th refused in the same instant: 100 ÷ 500/s
    expect(hints[299]).toBe(600);
    for (let i = 1; i < hints.length; i++) expect(hints[i]).toBeGreaterThanOrEqual(hints[i - 1]!);
  });

  it('forgets the crowd within a few seconds once refusals stop', () => {
    const clock = new FakeClock();
    const b = new SpreadingBucket(500, 500, clock);
    for (let i = 0; i < 500; i++) b.take();
    for (let i = 0; i < 300; i++) b.take();
    clock.advance(5000); // bucket full again, refusal memory decayed to 300 × e^-5 ≈ 2
    for (let i = 0; i < 500; i++) expect(b.take()).toBe(0);
    expect(b.take()).toBeLessThanOrEqual(8); // (≈ 3 refused ÷ 500/s), not 600 ms
  });

  it('no limit: always admitted', () => {
    const b = new SpreadingBucket(Infinity, Infinity, new FakeClock());
    for (let i = 0; i < 1000; i++) expect(b.take()).toBe(0);
  });
});
