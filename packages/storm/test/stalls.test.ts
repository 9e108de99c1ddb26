import { describe, expect, it } from 'vitest';
import { stallNote } from '../src/metrics/stalls';
import { StallLog } from '../src/sim/stallLog';

describe('stall log (sampled on a fake clock)', () => {
  it('records a sample that ran late by the threshold or more, with when the stall began', () => {
    const log = new StallLog(20, 50);
    log.start(1000); // next sample due at 1020
    log.stop(); // drive it by hand from here
    log.sample(1021); // 1 ms late: not a stall; next due 1041
    log.sample(1141); // 100 ms late
    log.sample(1161); // on time again
    log.sample(1260); // 79 ms late
    expect(log.recorded()).toEqual([
      { atMs: 1041, ms: 100 },
      { atMs: 1181, ms: 79 },
    ]);
  });

  it('forgets what came before a reset (the fault starts a new record)', () => {
    const log = new StallLog(20, 50);
    log.start(0);
    log.stop();
    log.sample(200);
    log.reset();
    log.sample(240);
    expect(log.recorded()).toEqual([]);
  });
});

describe('stall note', () => {
  const stalls = [
    { atMs: 3000, ms: 60, process: 0 },
    { atMs: 11_780, ms: 170, process: 2 },
  ];

  it('ties the peak bin to a stall that ended inside it or one bin before it', () => {
    // peak bin 119 = [11900, 12000); the 170 ms stall ended at 11950
    expect(stallNote(stalls, 119, 100)).toBe(
      '2 client-process stall(s) ≥ 50 ms after the fault, longest 170 ms at +11780 ms (process 2); the peak bin (+11900 ms) follows a 170 ms stall of process 2 that ended at +11950 ms',
    );
    // peak bin 120 = [12000, 12100): the stall ended 50 ms before it, inside the bin before
    expect(stallNote(stalls, 120, 100)).toContain('follows a 170 ms stall');
  });

  it('says so when no stall ended near the peak bin, or there was none', () => {
    expect(stallNote(stalls, 200, 100)).toContain('none ended just before or inside the peak bin (+20000 ms)');
    expect(stallNote(stalls, 121, 100)).toContain('none ended'); // ended 150 ms before the bin
    expect(stallNote([], 5, 100)).toBe('no client-process stall ≥ 50 ms after the fault');
    expect(stallNote(stalls, -1, 100)).not.toContain('peak bin');
  });
});
