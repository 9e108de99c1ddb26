// The CLI warns about a --target path or user:password before the run (a run takes minutes),
// and the run's notes hold the same line: the terminal showed it twice. It is printed once
// now; the JSON report still has it among the run's notes.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { summarizeRun, type RunResult } from '../src/result';
import { ZERO_COUNTS } from '../src/metrics/delivery';
import type { StormOptions } from '../src/sim/options';
import { unusedTargetNote } from '../src/proxy/targetText';

const target = 'ws://alice:hunter2@127.0.0.1:8080/v1';

// A finished run against the target whose notes hold the unused-target line, as runStorm's do.
vi.mock('../src/sim/runStorm', () => ({
  runStorm: vi.fn(async (o: StormOptions): Promise<RunResult> => summarizeRun({
    scenario: o.scenario, strategy: 'full', serverHint: true, clients: 1, admissionRate: 10, seed: 1, client: 'stub',
    attemptTimesMs: [0], backAtMs: [0], refused: 0, channels: [{ channel: 'c', published: 1, counts: { ...ZERO_COUNTS, expected: 1, delivered: 1 } }], wallMs: 1,
    notes: ['external target ws://***@127.0.0.1:8080/v1: admission rate unknown', unusedTargetNote(o.target!)!],
  })),
}));

const { stormCommand } = await import('../src/cli/stormCommand');
const dir = mkdtempSync(path.join(tmpdir(), 'storm-unused-once-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the unused --target note', () => {
  it('is printed once (before the run), and kept in the JSON report', async () => {
    const terminal: string[] = [];
    const o = vi.spyOn(process.stdout, 'write').mockImplementation((c) => (terminal.push(String(c)), true));
    const e = vi.spyOn(process.stderr, 'write').mockImplementation((c) => (terminal.push(String(c)), true));
    const json = path.join(dir, 'r.json');
    try {
      await stormCommand({ options: { scenario: 'blip', target }, variants: null, json });
    } finally {
      o.mockRestore();
      e.mockRestore();
    }
    const note = unusedTargetNote(target)!;
    const printed = terminal.join('');
    expect(printed.split(note).length - 1).toBe(1);
    // The run's other notes are still printed after the table.
    expect(printed).toContain('admission rate unknown');
    expect(JSON.parse(readFileSync(json, 'utf8')).notes).toContain(note);
  });
});
