// The examples the READMEs point users at must keep working: each runs as a user
// would run it (a child process on the built packages, its own server on port 0)
// and checks itself; these tests hold them to their exit code and their last word.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createClient } from '@lifeline/core';

const examples = fileURLToPath(new URL('../../examples/', import.meta.url));

function run(
  script: string,
  timeoutMs: number,
  { env, onOutput }: { env?: Record<string, string>; onOutput?: (out: string) => void } = {},
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], { cwd: examples, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let out = '';
    const add = (t: string) => {
      out += t;
      onOutput?.(out);
    };
    child.stdout.setEncoding('utf8').on('data', add);
    child.stderr.setEncoding('utf8').on('data', add);
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

  it('storm scenario: a fleet through a server crash loses, duplicates and reorders nothing, and jitter halves the peak rate', async () => {
    // A relative REPORT is where the user typed `pnpm --filter … start` (INIT_CWD), not
    // the example's directory the script runs in.
    const typedIn = mkdtempSync(path.join(tmpdir(), 'rehearsal-'));
    try {
      const { code, out } = await run('storm-scenario/rehearse.mjs', 90_000, { env: { CLIENTS: '200', REPORT: 'rehearsal.html', INIT_CWD: typedIn } });
      expect(out).toMatch(/rehearsal: peak \d+ attempts\/s with the defaults, \d+\/s with a fixed delay \(admission 200\/s\); [1-9]\d* published, 0 lost, 0 duplicated, 0 reordered/);
      expect(out).toContain(`rehearsal: report written to ${path.join(typedIn, 'rehearsal.html')}`);
      expect(readFileSync(path.join(typedIn, 'rehearsal.html'), 'utf8')).toMatch(/^<!doctype html>/i);
      expect(out).toContain('rehearsal: passed');
      expect(code).toBe(0);
    } finally {
      rmSync(typedIn, { recursive: true, force: true });
    }
  }, 95_000);

  it('storm scenario: a CLIENTS that is not a whole number from 1 to 100000 is refused with one line, not a stack trace', async () => {
    for (const clients of ['many', '2.5', '0', '100001']) {
      const { code, out } = await run('storm-scenario/rehearse.mjs', 20_000, { env: { CLIENTS: clients } });
      expect(out.trim()).toBe(`rehearsal: CLIENTS must be a whole number of clients from 1 to 100000, got "${clients}"`);
      expect(code).toBe(1);
    }
  }, 30_000);

  it('storm scenario: a REPORT in a directory that does not exist is refused before the run, with one line', async () => {
    const report = path.join(tmpdir(), `no-such-dir-${process.pid}`, 'rehearsal.html');
    const { code, out } = await run('storm-scenario/rehearse.mjs', 20_000, { env: { CLIENTS: '50', REPORT: report } });
    // It used to run the whole rehearsal (~25 s), then die on writeFile with a stack trace.
    expect(out.trim()).toBe(`rehearsal: REPORT ${report} cannot be written (ENOENT)`);
    expect(code).toBe(1);
  }, 30_000);

  it('console demo: the protocol walk-through ends with every check passed', async () => {
    const { code, out } = await run('console-demo.mjs', 20_000);
    expect(out).toContain('Demo finished: every check passed.');
    expect(code).toBe(0);
  });

  it('pnpm demo: the bot greets a visitor who enters the room (its first message was published before anyone could see it)', async () => {
    let greeted: Promise<string> | undefined;
    const visit = (server: string) => {
      // A visitor as the chat page is one: subscribe to the room, then enter presence.
      const client = createClient({ url: `${server}/v1`, clientId: 'examples-visitor' });
      const room = client.channel<{ from: string; text: string }>('lobby');
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no greeting within 10 s')), 10_000);
        room.subscribe((msg) => {
          if (msg.data.from !== 'lifeline-bot') return;
          clearTimeout(timer);
          resolve(msg.data.text);
        });
        room.presence.enter({ name: 'ada' }).catch(() => {});
      }).finally(() => client.close());
    };
    const done = run('demo.mjs', 90_000, {
      env: { LIFELINE_DEMO_EXIT_AFTER_MS: '12000', PORT: '0' },
      onOutput: (out) => {
        const server = /Reference server\s+(ws:\/\/127\.0\.0\.1:\d+)\/v1/.exec(out)?.[1];
        if (server && !greeted) {
          greeted = visit(server);
          greeted.catch(() => {}); // awaited below, once the demo has exited
        }
      },
    });
    const { code, out } = await done;
    expect(greeted, out).toBeDefined();
    expect(await greeted).toMatch(/^Welcome, ada!/);
    expect(out).toContain('self-check ok');
    expect(code).toBe(0);
  }, 100_000);
});

