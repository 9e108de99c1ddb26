// A bin run before `pnpm build` says what to do instead of a raw ERR_MODULE_NOT_FOUND
// stack for dist/cli.js (a new user's first `lifeline-server` in a fresh checkout).
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { root } from './packages';

const run = promisify(execFile);
const scratch = mkdtempSync(path.join(tmpdir(), 'lifeline-bin-not-built-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('a bin without its dist', () => {
  it.each([
    ['server', 'lifeline-server'],
    ['storm', 'lifeline-storm'],
  ])('packages/%s/bin/%s.js exits 1 telling to build', async (pkg, bin) => {
    // The shim alone, in a package directory with no dist/: an unbuilt checkout.
    const dir = path.join(scratch, pkg, 'bin');
    mkdirSync(dir, { recursive: true });
    copyFileSync(path.join(root, 'packages', pkg, 'bin', `${bin}.js`), path.join(dir, `${bin}.js`));
    const result = await run(process.execPath, [path.join(dir, `${bin}.js`), '--help'], { timeout: 30_000 }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
    );
    expect(result).toEqual({
      code: 1,
      stderr: `${bin} is not built: run \`pnpm build\` (or \`pnpm --filter @lifeline/${pkg} build\`)\n`,
    });
  });
});
