// @arethetypeswrong/cli (default "strict" profile: node10, node16 CJS/ESM, bundler)
// on the tarball `pnpm pack` makes of every published package.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { packTarball, publishedPackages, removeDir, root, scratchDir } from './packages';

const run = promisify(execFile);
const attwBin = path.join(root, 'node_modules', '.bin', 'attw');
let packDir = '';

beforeAll(() => {
  packDir = scratchDir('attw');
});
afterAll(() => removeDir(packDir));

describe('are the types wrong', () => {
  for (const p of publishedPackages) {
    it(`${p.name} resolves to correct types under every module resolution`, async () => {
      const tarball = packTarball(p, packDir);
      // attw exits 1 when it finds problems; the JSON report says which.
      const { stdout } = await run(attwBin, [tarball, '--format', 'json', '--no-definitely-typed'], {
        cwd: root,
        timeout: 120_000,
        maxBuffer: 64 * 1024 * 1024,
      }).catch((error: { stdout?: string; stderr?: string }) => {
        if (!error.stdout) throw error;
        return { stdout: error.stdout };
      });
      const report = JSON.parse(stdout) as { problems?: Record<string, Array<{ kind: string; entrypoint?: string; resolutionKind?: string }>> };
      const problems = Object.values(report.problems ?? {})
        .flat()
        .map((x) => `${x.kind} at ${x.entrypoint ?? '.'} (${x.resolutionKind ?? 'all'})`);
      expect(problems).toEqual([]);
      // The analysis must have covered the root entrypoint and every published subpath.
      const entrypoints = Object.keys((JSON.parse(stdout) as { analysis: { entrypoints: object } }).analysis.entrypoints);
      expect(entrypoints).toEqual(expect.arrayContaining(['.', ...p.subpaths.map((s) => `./${s}`)]));
    }, 120_000);
  }
});
