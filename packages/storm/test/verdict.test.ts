import { describe, expect, it } from 'vitest';
import { summarizeRun, type RawRun } from '../src/result';
import { verdict } from '../src/verdict';
import { ZERO_COUNTS } from '../src/metrics/delivery';

function run(counts: Partial<typeof ZERO_COUNTS>, backAtMs: (number | null)[] = [0, 10], published = 4) {
  const raw: RawRun = {
    scenario: 'blip', strategy: 'full', serverHint: true, clients: 2, admissionRate: 100, seed: 1, client: 'test',
    attemptTimesMs: [0, 10], backAtMs, refused: 0,
    channels: [{ channel: 'c0', published, counts: { ...ZERO_COUNTS, expected: 8, delivered: 8, ...counts } }],
    wallMs: 1, notes: [],
  };
  return summarizeRun(raw);
}

describe('exit status of a storm run', () => {
  it('0 when everyone is back and nothing was lost, duplicated or reordered', () => {
    expect(verdict([run({})])).toEqual({ status: 0, message: null });
  });

  it('2 when a subscriber lost, duplicated or reordered a message', () => {
    expect(verdict([run({ lost: 1 })])).toEqual({ status: 2, message: 'invariant broken: full: 1 lost, 0 duplicated, 0 reordered' });
  });

  it('3 when clients did not come back, their undelivered messages not counted as lost', () => {
    const v = verdict([run({ delivered: 5, unrecovered: 1, undelivered: 3 }, [0, null])]);
    expect(v).toEqual({ status: 3, message: 'not every client came back: full: 1 not back (3 messages undelivered to them)' });
  });

  it('a broken invariant wins over clients not back', () => {
    expect(verdict([run({ lost: 1, unrecovered: 1, undelivered: 3 }, [0, null])]).status).toBe(2);
  });

  it('1 when nothing was published: no delivery was checked, so the run does not pass', () => {
    const v = verdict([run({ expected: 0, delivered: 0 }, [0, 10], 0)]);
    expect(v.status).toBe(1);
    expect(v.message).toMatch(/^nothing was published, so no delivery was checked/);
  });
});
