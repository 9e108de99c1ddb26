// `--json` / `--report` to a path that cannot be written was found out only after the
// whole run (minutes of it), as an untyped "unexpected failure" with the result lost.
// The paths are now checked before the run starts (a usage error naming the flag and
// the path); a write that still fails at the end prints the result on stdout instead
// and exits non-zero with a typed error. The run itself is stubbed here: what is under
// test is the CLI around it.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { summarizeRun, type RawRun, type RunResult } from '../src/result';
import { ZERO_COUNTS } from '../src/metrics/delivery';
import { StormError } from '../src/errors';

const run = vi.hoisted(() => ({ impl: null as null | (() => Promise<RunResult>), calls: 0 }));
vi.mock('../src/sim/runStorm', () => ({
  runStorm: async () => {
    run.calls++;
    return run.impl!();
  },
}));
const { main } = await import('../src/cli/main');
const { parseCommand } = await import('../src/cli/args');

function result(over: Partial<RawRun> = {}): RunResult {
  return summarizeRun({
    scenario: 'blip', strategy: 'full', serverHint: true, clients: 2, admissionRate: 100, seed: 1, client: 'test',
    attemptTimesMs: [0, 10], backAtMs: [0, 10], refused: 0,
    channels: [{ channel: 'c0', published: 4, counts: { ...ZERO_COUNTS, expected: 8, delivered: 8 } }],
    wallMs: 1, notes: [],
    ...over,
  });
}

let dir: string;
let out: string;
let err: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'storm-out-'));
  out = err = '';
  run.calls = 0;
  run.impl = async () => result();
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
});
afterEach(() => {
  vi.restoreAllMocks();
  chmodSync(dir, 0o755);
  rmSync(dir, { recursive: true, force: true });
});

describe('--json / --report are checked before the run', () => {
  it('a file in a directory that does not exist is a usage error naming the flag and the path; the run never starts', async () => {
    const file = path.join(dir, 'missing', 'r.json');
    expect(await main(['blip', '--clients', '2', '--json', file])).toBe(1);
    expect(run.calls).toBe(0);
    expect(out).toBe('');
    expect(err).toContain(`lifeline-storm: --json: cannot write ${file} (ENOENT: its directory does not exist) [BAD_OPTION]\n`);
    expect(err).toContain('run lifeline-storm --help for usage');
  });

  it('a directory given as the file, and a read-only directory, are refused the same way (--report)', async () => {
    expect(await main(['blip', '--report', dir])).toBe(1);
    expect(err).toContain(`--report: cannot write ${dir} (EISDIR: it is a directory) [BAD_OPTION]`);
    if (process.getuid?.() !== 0) {
      // root writes anywhere: the permission case only means something for other users
      const ro = path.join(dir, 'ro');
      mkdirSync(ro, 0o555);
      err = '';
      expect(await main(['blip', '--report', path.join(ro, 'r.html')])).toBe(1);
      expect(err).toContain(`--report: cannot write ${path.join(ro, 'r.html')} (EACCES: permission denied) [BAD_OPTION]`);
      chmodSync(ro, 0o755);
    }
    expect(run.calls).toBe(0);
  });

  it('--json and --report naming the same file is refused (the report overwrote the JSON)', async () => {
    const file = path.join(dir, 'same');
    expect(await main(['blip', '--json', file, '--report', file])).toBe(1);
    expect(err).toContain(`--json and --report name the same file (${file})`);
    expect(run.calls).toBe(0);
    expect(existsSync(file)).toBe(false);
  });

  it('an empty file name (an unset $VAR) is refused instead of silently writing nothing', () => {
    for (const flag of ['--json', '--report']) {
      expect(() => parseCommand(['blip', flag, ''])).toThrow(new StormError('BAD_OPTION', `${flag} needs a file name, got ""`));
    }
  });

  it('the check leaves nothing behind when the run then fails: no new empty file, an existing one keeps its content', async () => {
    const fresh = path.join(dir, 'fresh.json');
    const old = path.join(dir, 'old.html');
    writeFileSync(old, 'previous report');
    run.impl = async () => {
      expect(existsSync(fresh)).toBe(false); // checked and removed again before the run
      throw new StormError('RUN_FAILED', 'clients never connected');
    };
    expect(await main(['blip', '--json', fresh, '--report', old])).toBe(1);
    expect(run.calls).toBe(1);
    expect(existsSync(fresh)).toBe(false);
    expect(readFileSync(old, 'utf8')).toBe('previous report');
  });
});

describe('a write that fails after the run', () => {
  it('prints the result on stdout, says why with OUTPUT_FAILED, still writes the other file, and exits 1', async () => {
    const sub = path.join(dir, 'sub');
    mkdirSync(sub);
    const json = path.join(sub, 'r.json');
    const html = path.join(dir, 'r.html');
    // The directory disappears while the run is going: the check passed, the write cannot.
    run.impl = async () => {
      rmSync(sub, { recursive: true });
      return result();
    };
    expect(await main(['blip', '--json', json, '--report', html])).toBe(1);
    expect(err).toContain(`lifeline-storm: --json: cannot write ${json} (ENOENT: its directory does not exist); the JSON follows on stdout [OUTPUT_FAILED]\n`);
    const printed = out.slice(out.indexOf('{'));
    expect(JSON.parse(printed)).toMatchObject({ scenario: 'blip', clients: 2, lost: 0 });
    expect(err).toContain(`report written to ${html}\n`);
    expect(readFileSync(html, 'utf8')).toMatch(/^<!doctype html>/i);
    expect(err).not.toMatch(/unexpected failure/);
  });

  it('keeps the run\'s own exit status when it says more (2: messages lost)', async () => {
    const sub = path.join(dir, 'sub');
    mkdirSync(sub);
    run.impl = async () => {
      rmSync(sub, { recursive: true });
      return result({ channels: [{ channel: 'c0', published: 4, counts: { ...ZERO_COUNTS, expected: 8, delivered: 7, lost: 1 } }] });
    };
    expect(await main(['blip', '--json', path.join(sub, 'r.json')])).toBe(2);
    expect(err).toContain('[OUTPUT_FAILED]');
    expect(err).toContain('invariant broken');
  });
});
