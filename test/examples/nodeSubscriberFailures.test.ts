// examples/node-subscriber's demo as a user runs it when something goes wrong: a checkpoint
// that comes back behind where the killed worker was (every order still arrives, but the
// restarted one repeats several the killed one had finished: a failure, not "missing none"),
// and a worker that cannot start.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const dir = fileURLToPath(new URL('../../examples/node-subscriber/', import.meta.url));
const setBack = fileURLToPath(new URL('./fixtures/checkpointSetBack.cjs', import.meta.url));
const workerExits = fileURLToPath(new URL('./fixtures/workerExits.cjs', import.meta.url));

function demo(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['demo.mjs'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (out += t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => (out += t));
    const timer = setTimeout(() => child.kill('SIGKILL'), 40_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

it('node-subscriber demo: orders repeated beyond the in-flight window fail the run', async () => {
  const { code, out } = await demo({ NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${setBack}` });
  // Before the count, this run ended "missing none, worker exit 0" and exit 0.
  expect(code, out).toBe(1);
  expect(out).toMatch(/demo: redelivered after the kill -9: order \d+, order \d+.*; OUTSIDE the in-flight window/);
}, 45_000);

it('node-subscriber demo: a worker that exits before it subscribes is said at once, and the run leaves no temporary files', async () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'demo-tmp-'));
  try {
    const started = Date.now();
    const { code, out } = await demo({ TMPDIR: tmp, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${workerExits}` });
    expect(out).toContain('demo: the worker exited (code 3) before it subscribed: see its output above');
    expect(code).toBe(1);
    // It waited 15 s for a subscription that could not come, then left its checkpoint directory.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(readdirSync(tmp)).toEqual([]);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}, 45_000);
