// A trial's `blip --clients 100` report: the wave lasted 0.6 s and the chart's time axis
// had one label, `0s`, so it had no time scale; a 1-hour run would have had 720 labels.
import { describe, expect, it } from 'vitest';
import { summarizeRun } from '../src/result';
import { attemptsChart } from '../src/report/svgChart';
import { ZERO_COUNTS } from '../src/metrics/delivery';

/** A run whose attempts span `spanMs` after the fault. */
function run(spanMs: number) {
  return summarizeRun({
    scenario: 'blip', strategy: 'full', serverHint: true, clients: 2, admissionRate: 100, seed: 1, client: 'test',
    attemptTimesMs: [0, spanMs - 1], backAtMs: [10, spanMs],
    refused: 0, channels: [{ channel: 'c0', published: 1, counts: { ...ZERO_COUNTS, expected: 2, delivered: 2 } }], wallMs: 1, notes: [],
  });
}

/** The time-axis labels of the chart, in order. */
const ticks = (svg: string) => [...svg.matchAll(/>([\d.]+s)<\/text>/g)].map((m) => m[1]);

describe('the chart\'s time axis', () => {
  it('labels a wave shorter than a second in tenths', () => {
    expect(ticks(attemptsChart([run(600)]))).toEqual(['0s', '0.1s', '0.2s', '0.3s', '0.4s', '0.5s', '0.6s']);
  });

  it('half seconds over 5 s, whole seconds over 12 s, at most 13 labels over an hour', () => {
    expect(ticks(attemptsChart([run(5000)]))).toEqual(['0s', '0.5s', '1s', '1.5s', '2s', '2.5s', '3s', '3.5s', '4s', '4.5s', '5s']);
    expect(ticks(attemptsChart([run(12_000)]))).toEqual(['0s', '1s', '2s', '3s', '4s', '5s', '6s', '7s', '8s', '9s', '10s', '11s', '12s']);
    const hour = ticks(attemptsChart([run(3_600_000)]));
    expect(hour.length).toBeLessThanOrEqual(13);
    expect(hour.slice(0, 3)).toEqual(['0s', '300s', '600s']);
  });
});
