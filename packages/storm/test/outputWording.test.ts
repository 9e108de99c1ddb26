import { describe, expect, it } from 'vitest';
import { summarizeRun, type RawRun, type Strategy } from '../src/result';
import { ZERO_COUNTS } from '../src/metrics/delivery';
import { tableRows } from '../src/report/table';
import { verdict } from '../src/verdict';
import { toHtml } from '../src/report/html';

function run(o: { strategy?: Strategy; serverHint?: boolean; lost?: number; backAtMs?: (number | null)[]; offlineMs?: (number | null)[] } = {}) {
  const raw: RawRun = {
    scenario: 'flaky', strategy: o.strategy ?? 'full', serverHint: o.serverHint ?? true, clients: 2, admissionRate: 100, seed: 1, client: 'test',
    attemptTimesMs: [0], backAtMs: o.backAtMs ?? [0, 0], offlineMs: o.offlineMs ?? [], refused: 0,
    channels: [{ channel: 'c0', published: 4, counts: { ...ZERO_COUNTS, expected: 8, delivered: 8, lost: o.lost ?? 0 } }],
    wallMs: 1, notes: [],
  };
  return summarizeRun(raw);
}
const offlineCell = (r: ReturnType<typeof run>) => tableRows([r]).find((row) => row[0] === 'offline p50 / p99')![1];

describe('output wording', () => {
  it('offline times: "nobody dropped" when no client dropped, "never" only for clients not back', () => {
    expect(offlineCell(run())).toBe('n/a (nobody dropped)');
    expect(offlineCell(run({ offlineMs: [40, 60] }))).toBe('40 ms / 60 ms');
    expect(offlineCell(run({ backAtMs: [null, null], offlineMs: [null, null] }))).toBe('never / never');
  });

  it('nobody dropped takes precedence over clients not back (half-open: nobody noticed the fault, so nobody is back)', () => {
    const r = run({ backAtMs: [null, null], offlineMs: [] });
    expect(r.notBack).toBe(2);
    expect(r.dropped).toBe(0);
    expect(offlineCell(r)).toBe('n/a (nobody dropped)');
    // One dropped and stayed away, one never noticed: its offline time is "never".
    expect(offlineCell(run({ backAtMs: [null, null], offlineMs: [null] }))).toBe('never / never');
  });

  it('a caller of summarizeRun without offlineMs: dropped is unknown (null), not 0, and clients not back are not "nobody dropped"', () => {
    const raw: RawRun = {
      scenario: 'blip', strategy: 'full', serverHint: true, clients: 2, admissionRate: 100, seed: 1, client: 'test',
      attemptTimesMs: [0], backAtMs: [null, null], refused: 0,
      channels: [{ channel: 'c0', published: 4, counts: { ...ZERO_COUNTS, expected: 8, delivered: 8 } }],
      wallMs: 1, notes: [],
    };
    const r = summarizeRun(raw);
    expect(r.notBack).toBe(2);
    expect(r.dropped).toBeNull();
    expect(offlineCell(r)).toBe('never / never');
    // Every client back and no offline time: the rule from before `dropped`.
    expect(offlineCell(summarizeRun({ ...raw, backAtMs: [0, 0] }))).toBe('n/a (nobody dropped)');
    // A result file from before `dropped` (no such field) reads as it did.
    const old = { ...r } as Partial<typeof r>;
    delete old.dropped;
    expect(offlineCell(old as typeof r)).toBe('never / never');
  });

  it('a comparison\'s verdict names each run by its full variant', () => {
    const v = verdict([run({ serverHint: true, lost: 1 }), run({ serverHint: false, lost: 2 })]);
    expect(v.message).toBe('invariant broken: full:hint: 1 lost, 0 duplicated, 0 reordered; full:nohint: 2 lost, 0 duplicated, 0 reordered');
  });

  it('the HTML report carries the pass/fail verdict', () => {
    expect(toHtml([run()])).toMatch(/<p class="verdict pass"><b>Pass<\/b>/);
    const failed = toHtml([run({ lost: 3 })]);
    expect(failed).toContain('<p class="verdict fail"><b>Fail</b> (exit status 2): invariant broken: full: 3 lost, 0 duplicated, 0 reordered</p>');
  });
});
