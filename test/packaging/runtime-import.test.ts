// Each package loads from its built dist in a plain Node process, under both ESM
// `import` and CJS `require`, exposes the same names both ways, and lets the
// process exit by itself (no server, timer or socket started at import).
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { publishedPackages, subpathExports, testDir } from './packages';

const run = promisify(execFile);

async function exportedNames(specifier: string, mode: 'esm' | 'cjs'): Promise<string[]> {
  const code =
    mode === 'esm'
      ? `const m = await import(${JSON.stringify(specifier)}); console.log(JSON.stringify(Object.keys(m)));`
      : `const m = require(${JSON.stringify(specifier)}); console.log(JSON.stringify(Object.keys(m)));`;
  const args = mode === 'esm' ? ['--input-type=module', '-e', code] : ['--input-type=commonjs', '-e', code];
  // cwd test/: node resolves @lifeline/* through test/node_modules to each package's exports map.
  const { stdout } = await run(process.execPath, args, { cwd: testDir, timeout: 30_000 });
  return (JSON.parse(stdout.trim()) as string[]).filter((k) => k !== 'default' && k !== '__esModule').sort();
}

describe('runtime import of the built packages', () => {
  const specifiers = publishedPackages.flatMap((p) => [
    { specifier: p.name, mustExport: p.mustExport },
    ...p.subpaths.map((s) => ({ specifier: `${p.name}/${s}`, mustExport: subpathExports[`${p.name}/${s}`] ?? [] })),
  ]);
  for (const { specifier, mustExport } of specifiers) {
    it(`${specifier} imports under ESM and CJS with the same exports`, async () => {
      const esm = await exportedNames(specifier, 'esm');
      const cjs = await exportedNames(specifier, 'cjs');
      expect(esm.length).toBeGreaterThan(0);
      expect(cjs).toEqual(esm);
      expect(esm).toEqual(expect.arrayContaining(mustExport));
    }, 60_000);
  }
});
