// A trial's `restart --compare full,equal,decorrelated,none` report: the legend was drawn
// inside the plot's top-left corner, and `none`'s first tower (0.8 s, near the top of the
// scale) ran through its text. The legend now has rows of its own above the plot.
import { describe, expect, it } from 'vitest';
import { summarizeRun } from '../src/result';
import { attemptsChart } from '../src/report/svgChart';
import { ZERO_COUNTS } from '../src/metrics/delivery';

/** A run whose attempts all land in its first bins (a tower in the top-left corner). */
function run(strategy: 'full' | 'equal' | 'decorrelated' | 'none') {
  const attemptTimesMs = Array.from({ length: 100 }, (_, i) => i % 3 * 40);
  return summarizeRun({
    scenario: 'restart', strategy, serverHint: true, clients: 100, admissionRate: 100, seed: 1, client: 'test',
    attemptTimesMs, backAtMs: attemptTimesMs.map((t) => t + 10),
    refused: 0, channels: [{ channel: 'c0', published: 1, counts: { ...ZERO_COUNTS, expected: 100, delivered: 100 } }], wallMs: 1, notes: [],
  });
}

describe('the chart\'s legend', () => {
  it('sits above the plot, clear of the lines, the SVG taller by its rows', () => {
    const svg = attemptsChart([run('full'), run('equal'), run('decorrelated'), run('none')], 860, 320);
    const gridTop = Math.min(...[...svg.matchAll(/<line [^>]*y1="([\d.]+)"/g)].map((m) => Number(m[1])));
    const lineTop = Math.min(...[...svg.matchAll(/<polyline [^>]*points="([^"]*)"/g)].flatMap((m) => m[1]!.split(' ').map((p) => Number(p.split(',')[1]))));
    const legendYs = [...svg.matchAll(/<text x="[\d.]+" y="([\d.]+)" font-size="11">[^<]*att\/client<\/text>/g)].map((m) => Number(m[1]));
    expect(legendYs).toHaveLength(4);
    // Each legend line's baseline above the plot's top grid line, and above the tallest line's top.
    for (const y of legendYs) {
      expect(y).toBeLessThan(gridTop);
      expect(y).toBeLessThan(lineTop);
    }
    expect(svg).toMatch(/<svg [^>]*height="384"/);
  });
});
