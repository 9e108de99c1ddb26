import { afterEach, describe, expect, it, vi } from 'vitest';
import { acceptStats, type AcceptSample } from '../src/metrics/accepts';
import { AcceptLog } from '../src/sim/acceptLog';

afterEach(() => {
  vi.useRealTimers();
});

describe('server accept log (sampled on a fake clock)', () => {
  it('records the counter from its value at the start, at times relative to the start', () => {
    let total = 40; // accepted during warm-up: not part of the wave
    const log = new AcceptLog(() => total, 50);
    log.start(1000);
    log.stop(); // drive it by hand from here
    total = 45;
    log.sample(1050);
    log.sample(1100);
    total = 60;
    log.sample(1180);
    expect(log.samples()).toEqual([
      { atMs: 0, total: 0 },
      { atMs: 50, total: 5 },
      { atMs: 100, total: 5 },
      { atMs: 180, total: 20 },
    ]);
  });

  it('samples on its interval while started, and not after stop', () => {
    vi.useFakeTimers({ now: 5000 });
    let total = 0;
    const log = new AcceptLog(() => total, 50);
    log.start();
    total = 7;
    vi.advanceTimersByTime(200);
    log.stop();
    total = 99;
    vi.advanceTimersByTime(200);
    expect(log.samples()).toEqual([
      { atMs: 0, total: 0 },
      { atMs: 50, total: 7 },
      { atMs: 100, total: 7 },
      { atMs: 150, total: 7 },
      { atMs: 200, total: 7 },
    ]);
  });
});

describe('server accept rate', () => {
  /** Samples every 100 ms from 0 to `ms`, `per(i)` accepted in the i-th interval. */
  const every100 = (ms: number, per: (i: number) => number): AcceptSample[] => {
    const out: AcceptSample[] = [{ atMs: 0, total: 0 }];
    for (let i = 1; i * 100 <= ms; i++) out.push({ atMs: i * 100, total: out[i - 1]!.total + per(i) });
    return out;
  };

  it('counts the total, and the peak over any 1 s window', () => {
    // 10 per 100 ms for 3 s, except 100 per 100 ms between +1.0 s and +1.3 s
    const s = every100(3000, (i) => (i >= 11 && i <= 13 ? 100 : 10));
    expect(acceptStats(s)).toEqual({ accepted: 570, peakPerSec: 370 }); // 3 × 100 + 7 × 10
  });

  it('a wave shorter than a second counts whole in its window (a count per second, not a scaled rate)', () => {
    expect(acceptStats(every100(300, () => 100)).peakPerSec).toBe(300);
  });

  it('accepts between samples more than a second apart count at their mean rate over the gap', () => {
    // the sampler (on the servers' thread) stalled 2 s while 1000 handshakes were accepted
    const s = [
      { atMs: 0, total: 0 },
      { atMs: 100, total: 0 },
      { atMs: 2100, total: 1000 },
      { atMs: 2200, total: 1000 },
    ];
    expect(acceptStats(s)).toEqual({ accepted: 1000, peakPerSec: 500 });
  });

  it('no samples or nothing accepted is 0 / 0', () => {
    expect(acceptStats([])).toEqual({ accepted: 0, peakPerSec: 0 });
    expect(acceptStats([{ atMs: 0, total: 0 }])).toEqual({ accepted: 0, peakPerSec: 0 });
    expect(acceptStats(every100(2000, () => 0))).toEqual({ accepted: 0, peakPerSec: 0 });
  });
});
