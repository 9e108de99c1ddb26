// Trial finding: the HTML report's chart legend printed peak ÷ mean with three decimals
// (1.201) and the table beside it with two (1.20). Both now use the table's formatter.
import { describe, expect, it } from 'vitest';
import { summarizeRun, type RawRun } from '../src/result';
import { formatTable } from '../src/report/table';
import { toHtml } from '../src/report/html';
import { ZERO_COUNTS } from '../src/metrics/delivery';

/** A one-second wave of 51 attempts, 6 in its first 100 ms bin and 5 in each other: peak ÷ mean 1.176… */
function run(): RawRun {
  const attemptTimesMs: number[] = [];
  for (let b = 0; b < 10; b++) for (let k = 0; k < (b === 0 ? 6 : 5); k++) attemptTimesMs.push(b * 100 + k);
  const clients = 7;
  return {
    scenario: 'blip', strategy: 'full', serverHint: true, clients, admissionRate: 100, seed: 1, client: 'test',
    attemptTimesMs, backAtMs: Array(clients).fill(1000), offlineMs: Array(clients).fill(1000), refused: 0,
    channels: [{ channel: 'c0', published: 1, counts: { ...ZERO_COUNTS, expected: clients, delivered: clients } }],
    wallMs: 2000, notes: [],
  };
}

describe('the chart legend and the table show the same figures', () => {
  it('peak ÷ mean, peak rate and attempts per client with two decimals in both', () => {
    const r = summarizeRun(run());
    expect(String(r.peakToMean).split('.')[1]!.length).toBeGreaterThan(2); // a figure that needs rounding
    const shown = r.peakToMean!.toFixed(2);
    expect(formatTable([r])).toMatch(new RegExp(`^peak ÷ mean\\s+${shown.replace('.', '\\.')}$`, 'm'));
    const html = toHtml([r]);
    expect(html).toContain(`<tr><th>peak ÷ mean</th><td>${shown}</td></tr>`);
    expect(html).toContain(`peak÷mean ${shown},`);
    expect(html).toContain(`, ${r.attemptsPerClient.toFixed(2)} att/client`);
    expect(html).not.toContain(`peak÷mean ${r.peakToMean},`);
  });
});
