// A trial's half-open run shorter than the heartbeat made no attempt after the fault: its
// table said `peak ÷ mean  0` (0 ÷ 0 written as 0, flatter than an even wave's 1). There is
// no ratio without attempts: the table, the JSON and the HTML report now agree on that.
import { describe, expect, it } from 'vitest';
import { summarizeRun, type RawRun } from '../src/result';
import { formatTable } from '../src/report/table';
import { toJson } from '../src/report/json';
import { toHtml } from '../src/report/html';
import { ZERO_COUNTS } from '../src/metrics/delivery';

/** Nobody noticed the fault: the warm-up's attempts (before it) only, and no one back. */
const quiet: RawRun = {
  scenario: 'half-open', strategy: 'full', serverHint: true, clients: 3, admissionRate: 100, seed: 1, client: 'test',
  attemptTimesMs: [-900, -800, -700], backAtMs: [null, null, null], offlineMs: [], refused: 0,
  channels: [{ channel: 'c0', published: 4, counts: { ...ZERO_COUNTS, expected: 12, delivered: 3, undelivered: 9 } }],
  wallMs: 1500, notes: [],
};

describe('peak ÷ mean with no attempts after the fault', () => {
  const r = summarizeRun(quiet);

  it('is null in the result and the JSON', () => {
    expect(r.attempts).toBe(0);
    expect(r.peakToMean).toBeNull();
    expect(JSON.parse(toJson([r])).peakToMean).toBeNull();
  });

  it('is n/a in the table and in the HTML report (its table and its chart legend)', () => {
    expect(formatTable([r])).toMatch(/^peak ÷ mean\s+n\/a \(no attempts\)$/m);
    const html = toHtml([r]);
    expect(html).toContain('<tr><th>peak ÷ mean</th><td>n/a (no attempts)</td></tr>');
    expect(html).toContain('peak÷mean n/a,');
    expect(html).not.toMatch(/peak ÷ mean<\/th><td>0</);
  });

  it('next to a run that had attempts, each column says its own', () => {
    // three attempts in one bin: 10 (the mean spans a second)
    const busy = summarizeRun({ ...quiet, attemptTimesMs: [0, 10, 20], backAtMs: [30, 30, 30], offlineMs: [30, 30, 30] });
    expect(formatTable([busy, r])).toMatch(/^peak ÷ mean\s+10\s+n\/a \(no attempts\)$/m);
  });
});
