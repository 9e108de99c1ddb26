// Numeric options of the Redis broker are checked when it is created, before it connects:
// values Redis or the catch-up loop cannot use used to be accepted and failed later
// (dedupeTtlMs: 0 or Infinity made every publish fail after storing it; catchUpBatch
// 0.5 lost messages after a cut, 0 never finished a catch-up). No Redis needed.
import { describe, expect, it } from 'vitest';
import { redisBroker } from '../src/broker/redisBroker';
import type { RedisBrokerOptions } from '../src/broker/redisOptions';

// An address nothing listens on: a broker wrongly created here is closed at once.
const url = 'redis://127.0.0.1:1';
const create = async (o: RedisBrokerOptions) => {
  const b = redisBroker({ url, onError: () => undefined, reconnectDelayMs: () => 10_000, ...o });
  await b.close();
};

describe('redisBroker numeric options', () => {
  const bad: [keyof RedisBrokerOptions, unknown][] = [
    ['dedupeTtlMs', 0], ['dedupeTtlMs', 0.5], ['dedupeTtlMs', -1], ['dedupeTtlMs', Number.NaN],
    ['catchUpBatch', 0], ['catchUpBatch', 0.5], ['catchUpBatch', Infinity], ['catchUpBatch', 100_001],
    ['retention', 0], ['retention', Infinity],
    ['presenceTtlMs', 0], ['presenceTtlMs', Infinity], ['presenceTtlMs', 1.5],
    ['presenceSweepMs', 0], ['presenceSweepMs', Number.NaN],
    ['readyTimeoutMs', -1], ['readyTimeoutMs', Number.NaN],
    ['commandTimeoutMs', 0], ['commandTimeoutMs', 2.5], ['commandTimeoutMs', '5000'],
    // Past 2^53 the script refused every publish ("bad maxLen", "bad dedupe TTL") and PEXPIRE
    // every presence call; past 2^31-1 ms Node ran ioredis's command timer after 1 ms.
    ['retention', 1e20], ['retention', Number.MAX_SAFE_INTEGER + 1], ['dedupeTtlMs', 1e20], ['presenceTtlMs', 1e21],
    ['commandTimeoutMs', 2 ** 31], ['commandTimeoutMs', 3e9],
  ];
  for (const [name, value] of bad) {
    it(`${name}: ${String(value)} throws a RangeError naming the option`, () => {
      expect(() => redisBroker({ url, [name]: value })).toThrow(RangeError);
      expect(() => redisBroker({ url, [name]: value })).toThrow(new RegExp(`${name} must be`));
    });
  }

  it('accepts the documented values, Infinity where it means "no limit"', async () => {
    await create({ dedupeTtlMs: Infinity });
    await create({ dedupeTtlMs: 1, catchUpBatch: 1, retention: 1, presenceTtlMs: 1, presenceSweepMs: 0.5 + 0.5, readyTimeoutMs: 0 });
    await create({ catchUpBatch: 100_000, readyTimeoutMs: Infinity, commandTimeoutMs: Infinity, presenceSweepMs: Infinity });
    await create({ retention: Number.MAX_SAFE_INTEGER, dedupeTtlMs: Number.MAX_SAFE_INTEGER, presenceTtlMs: Number.MAX_SAFE_INTEGER, commandTimeoutMs: 2 ** 31 - 1 });
  });
});
