// The workspace type-checks: every package's sources and tests, and these integration
// tests (`pnpm typecheck`). The build emits declarations without failing on every type
// error, and vitest strips types, so a source change that TypeScript rejects passed the
// rest of the suite (a narrowed `state` compared after an await, caught only by hand).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { root } from './packages';

const run = promisify(execFile);

describe('type checking', () => {
  it('pnpm typecheck passes for every package and the integration tests', async () => {
    const outcome = await run('pnpm', ['typecheck'], { cwd: root, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 }).then(
      () => '',
      (error: { stdout?: string; stderr?: string; message: string }) => `${error.stdout ?? ''}${error.stderr ?? ''}` || error.message,
    );
    // The compiler's own lines (file, line, code), so a failure says what to fix.
    expect(outcome.split('\n').filter((l) => /error TS\d+|ERR_|failed/.test(l)).join('\n') || outcome).toBe('');
  }, 320_000);
});
