// A trial sent SIGINT to `blip --workers 2` just as the run was closing its client
// processes: the CLI printed "SIGINT: stopping the run …", then the whole table, and
// exited 0, so a script (`lifeline-storm … && deploy`) carried on after a Ctrl-C.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { summarizeRun, type RunResult } from '../src/result';
import { ZERO_COUNTS } from '../src/metrics/delivery';
import type { StormOptions } from '../src/sim/options';
import { stoppingWords } from '../src/cli/interrupt';

// A stub run whose body has finished: the signal comes while it closes (runStorm's finally),
// when its abort no longer reaches the run.
vi.mock('../src/sim/runStorm', () => ({
  runStorm: vi.fn(async (o: StormOptions): Promise<RunResult> => {
    process.emit('SIGINT', 'SIGINT');
    return summarizeRun({
      scenario: o.scenario, strategy: 'full', serverHint: true, clients: 1, admissionRate: 10, seed: 1, client: 'stub',
      attemptTimesMs: [0], backAtMs: [0], refused: 0, channels: [{ channel: 'c', published: 1, counts: { ...ZERO_COUNTS, expected: 1, delivered: 1 } }], wallMs: 1, notes: [],
    });
  }),
}));

const { stormCommand } = await import('../src/cli/stormCommand');
const dir = mkdtempSync(path.join(tmpdir(), 'storm-late-signal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a signal that comes after the run finished, while it closes', () => {
  it('still exits with the signal\'s status (130), after printing the finished run', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const o = vi.spyOn(process.stdout, 'write').mockImplementation((c) => (out.push(String(c)), true));
    const e = vi.spyOn(process.stderr, 'write').mockImplementation((c) => (err.push(String(c)), true));
    const listeners = process.listenerCount('SIGINT');
    let status: number;
    try {
      status = await stormCommand({ options: { scenario: 'blip' }, variants: null, report: path.join(dir, 'r.html') });
    } finally {
      o.mockRestore();
      e.mockRestore();
    }
    expect(err.join('')).toContain('SIGINT: stopping the run');
    expect(out.join('')).toMatch(/scenario\s+blip/);
    expect(err.join('')).toContain('the run had finished when the signal came: its results are above; exit 130');
    expect(status).toBe(130);
    // The report says what the exit status says (it said "Pass (exit status 0)").
    const html = readFileSync(path.join(dir, 'r.html'), 'utf8');
    expect(html).toContain('<b>Fail</b> (exit status 130): a signal came while the finished run was closing');
    expect(html).not.toContain('exit status 0');
    // The handlers are gone again: nothing left listening for the next run.
    expect(process.listenerCount('SIGINT')).toBe(listeners);
  });
});

// The CLI's line on SIGINT / SIGTERM said "closing clients and servers, deleting its Redis
// keys" for every run: also against a --target (storm starts no server there) and on the
// memory broker (no Redis keys). It says only what stopping this run does now.
/** The stderr line the CLI prints when `options`' run gets a SIGINT. */
async function signalLine(options: StormOptions): Promise<string> {
  const err: string[] = [];
  const quiet = [vi.spyOn(process.stdout, 'write').mockImplementation(() => true), vi.spyOn(process.stderr, 'write').mockImplementation((c) => (err.push(String(c)), true))];
  try {
    expect(await stormCommand({ options, variants: null })).toBe(130);
  } finally {
    for (const q of quiet) q.mockRestore();
  }
  return err.join('').split('\n').find((l) => l.includes('SIGINT: stopping the run')) ?? '';
}

describe('the signal line says what stopping the run does', () => {
  it('against a --target: clients and proxies, no servers, no Redis keys', async () => {
    expect(await signalLine({ scenario: 'blip', target: 'ws://127.0.0.1:8080' })).toBe('lifeline-storm: SIGINT: stopping the run, closing its clients and proxies (send it again to quit at once)');
  });

  it('embedded on the memory broker: clients, proxies and servers, no Redis keys', async () => {
    expect(await signalLine({ scenario: 'half-open' })).toBe('lifeline-storm: SIGINT: stopping the run, closing its clients, proxies and servers (send it again to quit at once)');
  });

  it('on a redis:// broker it deletes the run\'s Redis keys', async () => {
    expect(await signalLine({ scenario: 'restart', broker: 'redis://127.0.0.1:6379' })).toBe('lifeline-storm: SIGINT: stopping the run, closing its clients, proxies and servers, deleting its Redis keys (send it again to quit at once)');
  });

  it('every case of stoppingWords', () => {
    expect(stoppingWords({ scenario: 'flaky', target: '127.0.0.1:9000' })).toBe('closing its clients and proxies');
    expect(stoppingWords({ scenario: 'blip', broker: 'volatile' })).toBe('closing its clients, proxies and servers');
    // drain connects its clients straight to the servers: no proxy.
    expect(stoppingWords({ scenario: 'drain' })).toBe('closing its clients and servers');
    expect(stoppingWords({ scenario: 'drain', broker: 'redis://[::1]:6379' })).toBe('closing its clients and servers, deleting its Redis keys');
    // auto (rolling's default) is Redis only when 127.0.0.1:6379 answered.
    expect(stoppingWords({ scenario: 'rolling' })).toBe('closing its clients, proxies and servers, deleting its Redis keys if broker auto picked Redis');
    expect(stoppingWords({ scenario: 'blip', broker: 'auto' })).toBe('closing its clients, proxies and servers, deleting its Redis keys if broker auto picked Redis');
    expect(stoppingWords({ scenario: 'rolling', broker: 'memory' })).toBe('closing its clients, proxies and servers');
  });
});
