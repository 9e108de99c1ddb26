// A trial's `blip --compare all` report: each run's line stopped at the value of its last
// bin, so `none` (all its attempts in its last two bins) ended at its peak, as if the wave
// had been cut off, and a wave inside a single bin would have been one point, not drawn.
import { describe, expect, it } from 'vitest';
import { summarizeRun } from '../src/result';
import { attemptsChart } from '../src/report/svgChart';
import { ZERO_COUNTS } from '../src/metrics/delivery';

/** A run with the given attempt times after the fault (ms). */
function run(strategy: 'full' | 'none', attemptTimesMs: number[]) {
  return summarizeRun({
    scenario: 'blip', strategy, serverHint: false, clients: attemptTimesMs.length, admissionRate: 100, seed: 1, client: 'test',
    attemptTimesMs, backAtMs: attemptTimesMs.map((t) => t + 10),
    refused: 0, channels: [{ channel: 'c0', published: 1, counts: { ...ZERO_COUNTS, expected: 1, delivered: 1 } }], wallMs: 1, notes: [],
  });
}

/** Each polyline's points as [x, y] pairs. */
const lines = (svg: string) =>
  [...svg.matchAll(/<polyline [^>]*points="([^"]*)"/g)].map((m) => m[1]!.split(' ').map((p) => p.split(',').map(Number) as [number, number]));

/** The y of the chart's 0 (its lowest grid line). */
const baseline = (svg: string) => Math.max(...[...svg.matchAll(/<line [^>]*y1="([\d.]+)"/g)].map((m) => Number(m[1])));

describe('the chart\'s lines', () => {
  it('end at 0 after the last attempt, not at the last bin\'s value', () => {
    // `none`: 40 attempts in its last two bins (its peak is the last bin).
    const none = run('none', [...Array.from({ length: 10 }, () => 410), ...Array.from({ length: 30 }, () => 550)]);
    const full = run('full', Array.from({ length: 40 }, (_, i) => i * 20));
    const svg = attemptsChart([full, none]);
    const zero = baseline(svg);
    const [fullLine, noneLine] = lines(svg);
    expect(fullLine!.at(-1)![1]).toBeCloseTo(zero, 0);
    expect(noneLine!.at(-1)![1]).toBeCloseTo(zero, 0);
    // The peak is still drawn, one point before the end.
    expect(noneLine!.at(-2)![1]).toBeLessThan(zero - 10);
  });

  it('draws a wave inside one bin as a line, not a lone point', () => {
    const svg = attemptsChart([run('none', [5, 10, 20, 30])]);
    const [line] = lines(svg);
    expect(line!.length).toBeGreaterThanOrEqual(2);
    expect(line![0]![1]).toBeLessThan(baseline(svg) - 10);
  });

  it('draws nothing for a run without attempts', () => {
    const svg = attemptsChart([run('full', [])]);
    expect(svg).toContain('points=""');
  });
});
