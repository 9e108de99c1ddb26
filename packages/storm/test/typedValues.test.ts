// A trial's `--seed 99999999999999999999` was refused with `got 100000000000000000000`: the
// check echoed the number the text parsed to (past 2^53 − 1 a number is not held exactly),
// not what was typed. A value out of range is refused naming the flag's limit and echoing the text.
import { describe, expect, it } from 'vitest';
import { parseCommand } from '../src/cli/args';
import { refusal } from './refusal';

describe('an out-of-range number is echoed as typed', () => {
  it('a seed past the safe integers is BAD_OPTION naming the limit, with the digits typed', () => {
    expect(refusal(() => parseCommand(['blip', '--seed', '99999999999999999999']))).toBe('--seed must be an integer in [0, 4294967295], got 99999999999999999999');
    // 2^53 + 1 parses to 2^53: still the text typed.
    expect(refusal(() => parseCommand(['blip', '--seed', '9007199254740993']))).toBe('--seed must be an integer in [0, 4294967295], got 9007199254740993');
    expect(refusal(() => parseCommand(['blip', '--seed', '4294967295']))).toBe('accepted');
  });

  it('so is every other integer and rate flag checked against a range', () => {
    expect(refusal(() => parseCommand(['blip', '--clients', '99999999999999999999']))).toBe('--clients must be an integer in [1, 100000], got 99999999999999999999');
    expect(refusal(() => parseCommand(['blip', '--channels', '100000000000000000001']))).toBe('--channels must be an integer in [1, 100], got 100000000000000000001');
    expect(refusal(() => parseCommand(['blip', '--workers', '0017']))).toBe('--workers must be an integer in [0, 16], got 0017');
    expect(refusal(() => parseCommand(['blip', '--admission-rate', '99999999999999999999']))).toBe('--admission-rate must be a number in [1, 9007199254740991], got 99999999999999999999');
    expect(refusal(() => parseCommand(['blip', '--publish-rate', '1000.5']))).toBe('--publish-rate must be a number > 0 and <= 1000, got 1000.5');
    // Unchanged where the number is the text, and durations still say ms.
    expect(refusal(() => parseCommand(['blip', '--clients', '0']))).toBe('--clients must be an integer in [1, 100000], got 0');
    expect(refusal(() => parseCommand(['blip', '--duration', '0']))).toBe('--duration must be a number in [100, 3600000], got 0 (ms)');
  });
});
