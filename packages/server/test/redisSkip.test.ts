// The policy of redisSuite() when Redis does not answer (no Redis needed: it probes a port
// nothing listens on): skip with the reason printed, or fail under LIFELINE_REQUIRE_REDIS=1
// so that a CI job meant to run the Redis suites cannot pass by skipping them.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { redisAvailable } from './redisTestUtils';

const closed = 'redis://127.0.0.1:1';
const required = process.env.LIFELINE_REQUIRE_REDIS;
afterEach(() => {
  vi.restoreAllMocks();
  if (required === undefined) delete process.env.LIFELINE_REQUIRE_REDIS;
  else process.env.LIFELINE_REQUIRE_REDIS = required;
});

describe('Redis test files without Redis', () => {
  it('skip, printing why (the connection error) and how to fail instead', async () => {
    delete process.env.LIFELINE_REQUIRE_REDIS;
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    expect(await redisAvailable(closed)).toBe(false);
    expect(warn).toHaveBeenCalledOnce();
    expect(warn.mock.calls[0]![0]).toMatch(
      /^\[redis tests\] SKIPPED: no Redis at redis:\/\/127\.0\.0\.1:1 \(connect E[A-Z]+ 127\.0\.0\.1:1\b.*\); set LIFELINE_REQUIRE_REDIS=1 to fail instead$/,
    );
  });

  it('fail under LIFELINE_REQUIRE_REDIS=1, naming the address and the error', async () => {
    process.env.LIFELINE_REQUIRE_REDIS = '1';
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    await expect(redisAvailable(closed)).rejects.toThrow(
      /^LIFELINE_REQUIRE_REDIS=1 but Redis at redis:\/\/127\.0\.0\.1:1 is not available: connect E[A-Z]+ 127\.0\.0\.1:1\b/,
    );
    expect(warn).not.toHaveBeenCalled();
  });
});
