// Ctrl-C during run 2 of a `--compare` exited 130 with nothing printed: run 1, finished minutes
// before, was dropped. The completed runs are reported now, as after a failed run, and the exit
// status stays the signal's.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { StormError } from '../src/errors';
import { summarizeRun, type RunResult } from '../src/result';
import { ZERO_COUNTS } from '../src/metrics/delivery';
import type { StormOptions } from '../src/sim/options';

// A stub run: `none` completes at once; any other gets a SIGINT and stops as runStorm does.
vi.mock('../src/sim/runStorm', () => ({
  runStorm: vi.fn(async (o: StormOptions): Promise<RunResult> => {
    if (o.strategy !== 'none') {
      process.emit('SIGINT', 'SIGINT');
      throw new StormError('INTERRUPTED', 'run interrupted (SIGINT)');
    }
    return summarizeRun({
      scenario: o.scenario, strategy: o.strategy, serverHint: o.serverHint!, clients: 1, admissionRate: 10, seed: 1, client: 'stub',
      attemptTimesMs: [0], backAtMs: [0], refused: 0, channels: [{ channel: 'c', published: 1, counts: { ...ZERO_COUNTS, expected: 1, delivered: 1 } }], wallMs: 1, notes: [],
    });
  }),
}));

const { stormCommand } = await import('../src/cli/stormCommand');
const dir = mkdtempSync(path.join(tmpdir(), 'storm-compare-interrupt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the CLI's command with stdout / stderr captured; its exit timer (1 s, for leftovers of the stopped run) never fires here. */
async function run(c: Parameters<typeof stormCommand>[0]) {
  const out: string[] = [];
  const err: string[] = [];
  const spies = [vi.spyOn(process.stdout, 'write').mockImplementation((x) => (out.push(String(x)), true)), vi.spyOn(process.stderr, 'write').mockImplementation((x) => (err.push(String(x)), true))];
  vi.useFakeTimers({ toFake: ['setTimeout'] });
  try {
    const status = await stormCommand(c);
    return { status, out: out.join(''), err: err.join('') };
  } finally {
    vi.useRealTimers();
    for (const s of spies) s.mockRestore();
  }
}

describe('a --compare stopped by SIGINT', () => {
  it('prints and writes the runs it completed, says which run stopped, and exits 130', async () => {
    const json = path.join(dir, 'r.json');
    const report = path.join(dir, 'r.html');
    const r = await run({ options: { scenario: 'blip' }, variants: [{ strategy: 'none', serverHint: true }, { strategy: 'full', serverHint: false }, { strategy: 'equal', serverHint: true }], json, report });
    expect(r.status).toBe(130);
    expect(r.out).toMatch(/^strategy\s+none$/m);
    expect(r.err).toContain('lifeline-storm: run 2/3 (full:nohint) failed: run interrupted (SIGINT); the table shows the 1 run(s) completed before it; exit 130');
    expect(JSON.parse(readFileSync(json, 'utf8'))).toMatchObject([{ strategy: 'none' }]); // a comparison's JSON: an array, also of one run
    const html = readFileSync(report, 'utf8');
    expect(html).toContain('<b>Fail</b> (exit status 130): run 2/3 (full:nohint) failed: run interrupted (SIGINT); below, the 1 run(s) completed before it.');
    expect(html).not.toContain('exit status 1)');
  });

  it('stopped in its first run it has nothing to print: exit 130 as before', async () => {
    const r = await run({ options: { scenario: 'blip' }, variants: [{ strategy: 'full', serverHint: true }, { strategy: 'none', serverHint: true }] });
    expect(r.status).toBe(130);
    expect(r.out).toBe('');
    expect(r.err).not.toContain('completed before it');
  });
});
