// Trial finding: refusals named a range their rule did not have. `--publish-rate 1001`
// said "must be a number in [0, 1000]" although 0 is refused; `--clients abc` "wants a
// non-negative number" although 0 clients are refused; `--listen abc` and `--bandwidth abc`
// the same, though a port stops at 65535 and a cap of 0 is refused. Each message now states
// the range the flag accepts, from one table shared with the check.
import { describe, expect, it } from 'vitest';
import { parseCommand } from '../src/cli/args';
import { resolveOptions } from '../src/sim/options';
import { OPTION_RANGES, inRange, rangeText } from '../src/sim/optionRanges';
import { refusal } from './refusal';

const run = (flag: string, value: string) => refusal(() => parseCommand(['blip', flag, value]));
const proxy = (...more: string[]) => refusal(() => parseCommand(['proxy', '--listen', '0', '--target', 'ws://127.0.0.1:9', ...more]));

describe('a refusal states the range the flag accepts', () => {
  it('--publish-rate: above 0 and at most 1000', () => {
    expect(run('--publish-rate', '1001')).toBe('--publish-rate must be a number > 0 and <= 1000, got 1001');
    expect(run('--publish-rate', 'abc')).toBe('--publish-rate wants a number > 0 and <= 1000, got "abc"');
    expect(run('--publish-rate', '-0.5')).toBe('--publish-rate wants a number > 0 and <= 1000, got "-0.5"');
    expect(run('--publish-rate', '0')).toMatch(/^--publish-rate must be above 0/);
    expect(run('--publish-rate', '1000')).toBe('accepted');
    expect(run('--publish-rate', '0.01')).toBe('accepted');
  });

  it.each([
    ['--clients', 'a whole number in [1, 100000]'],
    ['--channels', 'a whole number in [1, 100]'],
    ['--seed', 'a whole number in [0, 4294967295]'],
    ['--workers', 'a whole number in [0, 16]'],
    ['--admission-rate', 'a number in [1, 9007199254740991]'],
  ])('%s abc wants %s', (flag, wants) => {
    expect(run(flag, 'abc')).toBe(`${flag} wants ${wants}, got "abc"`);
    expect(run(flag, '-1')).toBe(`${flag} wants ${wants}, got "-1"`);
  });

  it('--listen and --bandwidth say their range for any refused value', () => {
    expect(proxy('--bandwidth', 'abc')).toBe('--bandwidth wants bytes/s > 0 or off, got "abc"');
    expect(proxy('--bandwidth', '-5')).toBe('--bandwidth wants bytes/s > 0 or off, got "-5"');
    expect(refusal(() => parseCommand(['proxy', '--listen', 'abc', '--target', 'ws://127.0.0.1:9']))).toBe('--listen wants a port in [0, 65535], got "abc"');
    expect(refusal(() => parseCommand(['proxy', '--listen', '-1', '--target', 'ws://127.0.0.1:9']))).toBe('--listen wants a port in [0, 65535], got "-1"');
  });

  it('the words and the check are one table: every edge is where the text says', () => {
    for (const [name, r] of Object.entries(OPTION_RANGES)) {
      const check = (n: number) => refusal(() => resolveOptions({ scenario: 'blip', workers: 0, [name]: n }));
      const lo = 'minExclusive' in r && r.minExclusive ? r.min : r.min - 1;
      for (const n of [r.min, r.max, lo, r.max + 1]) {
        expect(check(n) === 'accepted', `${name} ${n} (${rangeText(r)})`).toBe(inRange(n, r));
      }
    }
  });
});
