// Ctrl-C or SIGTERM during a run ended the process at once (exit 130/143): no message,
// servers and clients never closed, the run's Redis keys left behind.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isStormError } from '../src/errors';
import { runStorm } from '../src/sim/runStorm';
import { redisAnswers, redisCommands } from '../src/sim/redisAdmin';

const REDIS = 'redis://127.0.0.1:6379';
const bin = fileURLToPath(new URL('../bin/lifeline-storm.js', import.meta.url));
const built = existsSync(fileURLToPath(new URL('../dist/cli.js', import.meta.url)));

describe('stopping a run', () => {
  it('an aborted runStorm rejects with INTERRUPTED soon, after deleting its Redis keys', async (ctx) => {
    if (!(await redisAnswers(REDIS))) {
      console.warn('skipping: nothing answers PING at 127.0.0.1:6379');
      ctx.skip();
    }
    const ac = new AbortController();
    let abortedAt = 0;
    const progress = {
      update: (_: number, label: string) => {
        // Mid-run, with keys written: the fault of a run that would wait 60 s to recover.
        if (label.endsWith(': fault') && !abortedAt) {
          abortedAt = Date.now();
          ac.abort('SIGINT');
        }
      },
      done: () => {},
    };
    const run = runStorm(
      { scenario: 'half-open', clients: 5, channels: 1, publishRate: 20, heartbeatMs: 60_000, durationMs: 60_000, workers: 0, client: 'core', seed: 3, broker: REDIS },
      { progress, signal: ac.signal },
    );
    const e = await run.catch((x: unknown) => x);
    expect(isStormError(e, 'INTERRUPTED'), String(e)).toBe(true);
    expect(Date.now() - abortedAt).toBeLessThan(10_000);
    const left = await redisCommands(REDIS, (cmd) => cmd('SCAN', '0', 'MATCH', `lifeline-storm:${process.pid}:*`, 'COUNT', '10000'));
    expect((left as [string, string[]])[1]).toEqual([]);
  }, 30_000);

  for (const [sig, status] of [['SIGINT', 130], ['SIGTERM', 143]] as const) it(`the bin on ${sig}: one line on stderr, cleans up, exits ${status}`, async (ctx) => {
    if (!built) {
      console.warn('skipping the bin test: dist/cli.js is missing (run pnpm --filter @lifeline/storm build)');
      ctx.skip();
    }
    const child = spawn(process.execPath, [bin, 'half-open', '--clients', '5', '--workers', '0', '--heartbeat', '60s', '--duration', '60s'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<{ code: number | null; signal: string | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
    try {
      // Mid-run: the bin installs its handlers first thing, well within 5 s even on a loaded
      // machine (it prints nothing before, off a terminal); the run lasts 60 s.
      await new Promise((r) => setTimeout(r, 5000));
      child.kill(sig);
      const t0 = Date.now();
      const end = await exited;
      expect(end, err).toEqual({ code: status, signal: null });
      expect(Date.now() - t0).toBeLessThan(10_000);
      // The memory broker: no Redis keys to delete, so none are mentioned (interruptLine.test.ts).
      expect(err).toContain(`lifeline-storm: ${sig}: stopping the run, closing its clients, proxies and servers (send it again to quit at once)`);
      expect(err).not.toMatch(/at .*\.js:\d+/); // no stack trace
    } finally {
      child.kill('SIGKILL');
    }
  }, 30_000);
});
