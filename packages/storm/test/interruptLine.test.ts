// The CLI's line on SIGINT / SIGTERM said "closing clients and servers, deleting its Redis
// keys" for every run: also against a --target (storm starts no server there) and on the
// memory broker (no Redis keys). It says only what stopping this run does now.
import { describe, expect, it, vi } from 'vitest';
import { summarizeRun, type RunResult } from '../src/result';
import { ZERO_COUNTS } from '../src/metrics/delivery';
import type { StormOptions } from '../src/sim/options';
import { stoppingWords } from '../src/cli/interrupt';

// A stub run that gets a SIGINT (the line is printed then) and finishes.
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
