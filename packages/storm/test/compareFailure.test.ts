import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { StormError } from '../src/errors';
import { summarizeRun, type RunResult } from '../src/result';
import { ZERO_COUNTS } from '../src/metrics/delivery';
import type { StormOptions } from '../src/sim/options';
import { toHtml } from '../src/report/html';

// A stub run: full:nohint fails, every other variant completes at once.
vi.mock('../src/sim/runStorm', () => ({
  runStorm: vi.fn(async (o: StormOptions): Promise<RunResult> => {
    if (o.strategy === 'full' && o.serverHint === false) throw new StormError('RUN_FAILED', 'only 3/5 clients connected during warm-up');
    return summarizeRun({
      scenario: o.scenario, strategy: o.strategy!, serverHint: o.serverHint!, clients: 1, admissionRate: 10, seed: 1, client: 'stub',
      attemptTimesMs: [0], backAtMs: [0], refused: 0, channels: [{ channel: 'c', published: 1, counts: { ...ZERO_COUNTS, expected: 1, delivered: 1 } }], wallMs: 1, notes: [],
    });
  }),
}));

const { runCompare, CompareError } = await import('../src/sim/compare');
const { stormCommand } = await import('../src/cli/stormCommand');
const dir = mkdtempSync(path.join(tmpdir(), 'storm-compare-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('runCompare: a failed run does not discard the completed ones', () => {
  it('throws a CompareError with the completed results and the failed run, its variant and error', async () => {
    const variants = [{ strategy: 'full' as const, serverHint: true }, { strategy: 'none' as const, serverHint: true }, { strategy: 'full' as const, serverHint: false }, { strategy: 'equal' as const, serverHint: true }];
    const e = await runCompare({ scenario: 'blip' }, variants).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CompareError);
    const ce = e as InstanceType<typeof CompareError>;
    expect(ce.completed.map((r) => `${r.strategy}:${r.serverHint}`)).toEqual(['full:true', 'none:true']);
    expect(ce.failed.index).toBe(2);
    expect(ce.failed.variant).toEqual({ strategy: 'full', serverHint: false });
    expect(ce.code).toBe('RUN_FAILED');
    expect(ce.message).toBe('run 3/4 (full:nohint) failed: only 3/5 clients connected during warm-up');
    expect((ce.failed.error as Error).message).toBe('only 3/5 clients connected during warm-up');
  });

  it('every run completing returns them all in order', async () => {
    const r = await runCompare({ scenario: 'blip' }, [{ strategy: 'none', serverHint: true }, { strategy: 'full', serverHint: true }]);
    expect(r.map((x) => x.strategy)).toEqual(['none', 'full']);
  });

  it('the CLI prints the completed runs, names the failed one with its error and exits 1', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const o = vi.spyOn(process.stdout, 'write').mockImplementation((c) => (out.push(String(c)), true));
    const e = vi.spyOn(process.stderr, 'write').mockImplementation((c) => (err.push(String(c)), true));
    let status: number;
    try {
      status = await stormCommand({ options: { scenario: 'blip' }, variants: [{ strategy: 'none', serverHint: true }, { strategy: 'full', serverHint: false }] });
    } finally {
      o.mockRestore();
      e.mockRestore();
    }
    expect(status).toBe(1);
    expect(out.join('')).toMatch(/strategy\s+none/);
    expect(err.join('')).toContain('run 2/2 (full:nohint) failed: only 3/5 clients connected during warm-up [RUN_FAILED]');
  });
});

// A trial's `--compare none,full:nohint --report r.html` whose second run failed: the CLI
// exited 1 ("run 2/2 (full:nohint) failed"), but the report it wrote for the completed run
// said "Pass: every client came back; nothing lost, duplicated or reordered (exit status 0)".
describe('the report of a comparison stopped by a failed run', () => {
  it('fails with the CLI\'s exit status 1 and names the failed run', async () => {
    const file = path.join(dir, 'r.html');
    const quiet = [vi.spyOn(process.stdout, 'write').mockImplementation(() => true), vi.spyOn(process.stderr, 'write').mockImplementation(() => true)];
    let status: number;
    try {
      status = await stormCommand({ options: { scenario: 'blip' }, variants: [{ strategy: 'none', serverHint: true }, { strategy: 'full', serverHint: false }], report: file, json: path.join(dir, 'r.json') });
    } finally {
      for (const q of quiet) q.mockRestore();
    }
    expect(status).toBe(1);
    const html = readFileSync(file, 'utf8');
    expect(html).toContain('<p class="verdict fail"><b>Fail</b> (exit status 1): run 2/2 (full:nohint) failed: only 3/5 clients connected during warm-up; below, the 1 run(s) completed before it.</p>');
    expect(html).not.toContain('exit status 0');
    // A comparison's JSON is an array, also of the one run completed (it was that run's object).
    const json = JSON.parse(readFileSync(path.join(dir, 'r.json'), 'utf8'));
    expect(Array.isArray(json) && json.map((r: { strategy: string }) => r.strategy)).toEqual(['none']);
  });

  it('toHtml without `failed` still judges the results alone', async () => {
    const { runStorm } = await import('../src/sim/runStorm');
    const r = await runStorm({ scenario: 'blip', strategy: 'none', serverHint: true });
    expect(toHtml([r])).toContain('<b>Pass</b>');
    expect(toHtml([r], undefined, { failed: 'run 2/2 (x) failed: y' })).toContain('<b>Fail</b> (exit status 1): run 2/2 (x) failed: y;');
  });
});
