// Trial finding: `--schedule 1000:latency` (the value forgotten) ran as latency 0 ms, a
// meaning the README never gave it. It is refused now, naming the step and the form.
import { describe, expect, it } from 'vitest';
import { parseCommand } from '../src/cli/args';
import { parseSchedule } from '../src/proxy/schedule';
import { refusal } from './refusal';

describe('a latency schedule step without a value', () => {
  it('is BAD_OPTION naming the step and latency=MS', () => {
    expect(refusal(() => parseSchedule('1000:latency'))).toBe('schedule step "1000:latency": latency needs a value (write 1000:latency=MS, e.g. 1000:latency=200)');
    expect(refusal(() => parseSchedule('0:cut, 250ms:latency'))).toBe('schedule step "250ms:latency": latency needs a value (write 250:latency=MS, e.g. 250:latency=200)');
  });

  it('is refused by proxy --schedule before anything listens', () => {
    expect(refusal(() => parseCommand(['proxy', '--listen', '0', '--target', 'ws://127.0.0.1:9', '--schedule', '500:cut,1000:latency']))).toMatch(/^schedule step "1000:latency": latency needs a value/);
  });

  it('latency=0 and latency=200 still parse', () => {
    expect(parseSchedule('1000:latency=0,2000:latency=200')).toEqual([
      { atMs: 1000, action: 'latency', value: 0 },
      { atMs: 2000, action: 'latency', value: 200 },
    ]);
  });
});

describe('a bandwidth schedule step without a value', () => {
  it('is BAD_OPTION naming the step and both forms (it lifted the cap, undocumented)', () => {
    expect(refusal(() => parseSchedule('500:bandwidth'))).toBe('schedule step "500:bandwidth": bandwidth needs a value (write 500:bandwidth=BYTES_PER_S, or 500:bandwidth=off to lift the cap)');
    expect(parseSchedule('500:bandwidth=off,600:bandwidth=1000')).toEqual([
      { atMs: 500, action: 'bandwidth', value: null },
      { atMs: 600, action: 'bandwidth', value: 1000 },
    ]);
  });
});
