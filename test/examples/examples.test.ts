// The examples the READMEs point users at must keep working: each runs as a user
// would run it (a child process on the built packages, its own server on port 0)
// and checks itself; these tests hold them to their exit code and their last word.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const examples = fileURLToPath(new URL('../../examples/', import.meta.url));

function run(script: string, timeoutMs: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], { cwd: examples, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (out += t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => (out += t));
    // Bounded: a hung example is killed and reported, never left running.
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('examples', () => {
  it('node-subscriber demo: a worker killed with SIGKILL and drained with SIGTERM processes every order', async () => {
    const { code, out } = await run('node-subscriber/demo.mjs', 40_000);
    expect(out).toMatch(/demo: published [1-9]\d*, processed \d+ distinct, missing none, worker exit 0/);
    expect(code).toBe(0);
  }, 45_000);

  it('console demo: the protocol walk-through ends with every check passed', async () => {
    const { code, out } = await run('console-demo.mjs', 20_000);
    expect(out).toContain('Demo finished: every check passed.');
    expect(code).toBe(0);
  });
});
