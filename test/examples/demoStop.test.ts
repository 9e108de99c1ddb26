// `pnpm demo` as a user stops it: Ctrl-C, which pnpm then reports as "Command failed".
// The demo says, in its own last line, that this is the signal and not a failure of its own,
// and leaves nothing behind.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const examples = fileURLToPath(new URL('../../examples/', import.meta.url));

function runDemo(
  env: Record<string, string>,
  signal: NodeJS.Signals,
  whileRunning?: () => void,
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['demo.mjs'], {
      cwd: examples,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, npm_lifecycle_event: '', LIFELINE_DEMO_EXIT_AFTER_MS: '60000', PORT: '0', ...env },
    });
    let out = '';
    let signalled = false;
    const add = (t: string) => {
      out += t;
      // Once it runs (after the self-check), as a person reading the URL would.
      if (!signalled && out.includes('self-check ok')) {
        signalled = true;
        whileRunning?.();
        child.kill(signal);
      }
    };
    child.stdout.setEncoding('utf8').on('data', add);
    child.stderr.setEncoding('utf8').on('data', add);
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

it('pnpm demo: says how long it runs without a TTY and how to change it', async () => {
  const { code, out } = await runDemo({}, 'SIGTERM');
  expect(out).toContain('Stopping by itself in 60 s (LIFELINE_DEMO_EXIT_AFTER_MS; LIFELINE_DEMO_EXIT_AFTER_MS=<ms> sets how long), or on Ctrl-C.');
  expect(out).toMatch(/lifeline demo: stopped\n$/);
  expect(code).toBe(0);
}, 70_000);

it('pnpm demo: Ctrl-C under pnpm stops it cleanly and says that pnpm\'s "Command failed" is the signal', async () => {
  const { code, out } = await runDemo({ npm_lifecycle_event: 'demo' }, 'SIGINT');
  expect(out).toContain('lifeline demo: stopping (SIGINT)…');
  expect(out).toContain('lifeline demo: stopped (pnpm may now say "Command failed": that is its report of the Ctrl-C, not an error)');
  expect(code).toBe(0);
}, 70_000);

it('pnpm demo: serves the chat from a build of its own, removed when it stops (two demos at once do not share one)', async () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'demo-tmp-'));
  try {
    let during: string[] = [];
    const { code } = await runDemo({ TMPDIR: tmp }, 'SIGTERM', () => {
      during = readdirSync(tmp).filter((d) => d.startsWith('lifeline-demo-chat-'));
    });
    expect(during).toHaveLength(1);
    expect(readdirSync(tmp)).toEqual([]);
    expect(code).toBe(0);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}, 70_000);
