// Both brokers' numeric options go through one checker: this pins the exact wording each
// option's refusal had before they shared it (memory broker and Redis broker alike).
import { describe, expect, it } from 'vitest';
import { memoryBroker, redisBroker } from '../src/index';
import { checkNumeric, COUNT_RULE } from '../src/broker/numericOption';

const MAX = Number.MAX_SAFE_INTEGER;
const url = 'redis://127.0.0.1:1'; // never connected: the options are refused first

describe('checkNumeric', () => {
  it('returns an accepted value and refuses a non-number, NaN, a fraction, out of range with a RangeError', () => {
    expect(checkNumeric('x', 'n', 5, COUNT_RULE)).toBe(5);
    for (const bad of ['5', NaN, 1.5, 0, MAX + 2, Infinity, undefined]) {
      expect(() => checkNumeric('x', 'n', bad, COUNT_RULE)).toThrow(new RangeError(`x: n must be an integer from 1 to ${MAX}, got ${String(bad)}`));
    }
    expect(() => checkNumeric('x', 'n', 0, { min: 0, aboveMin: true, integer: false, infinite: false, max: 10 })).toThrow('x: n must be a number > 0 and <= 10, got 0');
  });
});

describe('the refusals both brokers word through it', () => {
  it.each([
    ['retention', 0, `an integer from 1 to ${MAX}`],
    ['dedupeTtlMs', 0.5, `an integer from 1 to ${MAX} or Infinity`],
    ['idleChannelTtlMs', 0, `an integer from 1 to ${MAX} or Infinity`],
    ['presenceTtlMs', Infinity, `an integer from 1 to ${MAX}`],
    ['presenceSweepMs', 0, 'a number >= 1 or Infinity'],
    ['readyTimeoutMs', -1, 'a number >= 0 or Infinity'],
    ['commandTimeoutMs', 2 ** 31, 'an integer from 1 to 2147483647 or Infinity'],
    ['catchUpBatch', 100_001, 'an integer from 1 to 100000'],
  ] as const)('redis broker %s: %s', (name, value, what) => {
    expect(() => redisBroker({ url, [name]: value })).toThrow(new RangeError(`redis broker: ${name} must be ${what}, got ${String(value)}`));
  });

  it.each([
    ['retention', 1.5, `an integer from 1 to ${MAX}`],
    ['dedupeWindow', NaN, `an integer from 1 to ${MAX}`],
    ['dedupeTtlMs', 0, 'a number > 0 or Infinity'],
  ] as const)('memory broker %s: %s', (name, value, what) => {
    expect(() => memoryBroker({ [name]: value })).toThrow(new RangeError(`memory broker: ${name} must be ${what}, got ${String(value)}`));
  });

  it('the memory broker keeps taking a fraction of a ms and Infinity as its dedupe TTL', () => {
    expect(() => memoryBroker({ dedupeTtlMs: 0.5 })).not.toThrow();
    expect(() => memoryBroker({ dedupeTtlMs: Infinity })).not.toThrow();
  });
});
