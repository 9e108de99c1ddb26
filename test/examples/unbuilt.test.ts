// The examples started before `pnpm build` (a newcomer who skipped that line of a README)
// say what to do in one line, instead of Node's stack trace about a missing dist/index.js.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const examples = fileURLToPath(new URL('../../examples/', import.meta.url));
const unbuilt = fileURLToPath(new URL('./fixtures/unbuilt.mjs', import.meta.url));

function run(script: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], {
      cwd: examples,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${unbuilt}`, LIFELINE_DEMO_EXIT_AFTER_MS: '1000' },
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (out += t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => (out += t));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('examples before pnpm build', () => {
  it.each([
    ['console-demo.mjs', 'packages/server'],
    ['node-subscriber/demo.mjs', 'packages/server'],
    ['demo.mjs', 'packages/server'],
  ])('%s says to run pnpm build, in one line, and exits 1', async (script, pkg) => {
    const { code, out } = await run(script);
    expect(out.trim()).toBe(`examples: ${pkg} is not built yet: run \`pnpm build\` at the repository root first, then this again`);
    expect(code).toBe(1);
  });
});
