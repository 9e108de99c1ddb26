import { describe, expect, it } from 'vitest';
import { redisAnswers, redisCommands } from '../src/sim/redisAdmin';
import { expectIntact, smallStorm } from './stormRun';

const REDIS = 'redis://127.0.0.1:6379';

describe('rolling over the Redis broker', () => {
  it('two nodes sharing Redis are replaced in turn: 0 / 0 / 0, and the run deletes its keys', async (ctx) => {
    if (!(await redisAnswers(REDIS))) {
      if (process.env.LIFELINE_REQUIRE_REDIS === '1') throw new Error('Redis is required (LIFELINE_REQUIRE_REDIS=1) but 127.0.0.1:6379 does not answer');
      console.warn('skipping the Redis rolling storm: nothing answers PING at 127.0.0.1:6379');
      ctx.skip();
    }
    const r = await smallStorm({ scenario: 'rolling', broker: REDIS });
    expectIntact(r);
    expect(r.gaps).toBe(0);
    expect(r.notes.join(' ')).toMatch(/broker: Redis/);
    const left = await redisCommands(REDIS, (cmd) => cmd('SCAN', '0', 'MATCH', `lifeline-storm:${process.pid}:*`, 'COUNT', '10000'));
    expect((left as [string, string[]])[1]).toEqual([]);
  }, 90_000);
});
