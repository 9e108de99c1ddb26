// The built declarations must not promise a value the built module lacks: `export type *
// from './protocol'` in src/index.ts came out of the declaration bundler as a plain
// `export { CloseCode, closeAction, PROTOCOL_VERSION, CHANNEL_NAME … }`, so
// `import { CloseCode } from '@lifeline/core'` type-checked and then failed at run time
// (ESM: "does not provide an export named"; CJS: undefined). Reads dist: run
// `pnpm --filter @lifeline/core build` first (the workspace is kept built).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const dist = (p: string) => fileURLToPath(new URL(`../dist/${p}`, import.meta.url));

/** Names the declaration file exports as values (const, function, class, enum). */
function declaredValues(dts: string): string[] {
  const program = ts.createProgram([dts], { strict: true, noEmit: true, skipLibCheck: true });
  const checker = program.getTypeChecker();
  const file = program.getSourceFile(dts);
  const mod = file && checker.getSymbolAtLocation(file);
  if (!mod) throw new Error(`no module symbol for ${dts}`);
  return checker
    .getExportsOfModule(mod)
    .filter((s) => {
      const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
      return (target.flags & ts.SymbolFlags.Value) !== 0;
    })
    .map((s) => s.name)
    .sort();
}

const entries = [
  { dts: 'index.d.ts', runtime: ['index.js', 'index.browser.js'] },
  { dts: 'index.d.cts', runtime: ['index.cjs'] },
  { dts: 'protocol/index.d.ts', runtime: ['protocol/index.js'] },
  { dts: 'testing.d.ts', runtime: ['testing.js'] },
];

describe('dist declarations', () => {
  for (const { dts, runtime } of entries) {
    it(`every value ${dts} declares exists at run time (${runtime.join(', ')})`, async () => {
      if (!existsSync(dist(dts))) throw new Error(`dist/${dts} missing: run pnpm --filter @lifeline/core build`);
      const declared = declaredValues(dist(dts));
      expect(declared.length).toBeGreaterThan(0);
      for (const file of runtime) {
        const mod: Record<string, unknown> = file.endsWith('.cjs')
          ? createRequire(import.meta.url)(dist(file))
          : await import(pathToFileURL(dist(file)).href);
        expect(declared.filter((name) => mod[name] === undefined), file).toEqual([]);
      }
    });
  }

  it('the main entry declares every type of @lifeline/core/protocol (as a type)', () => {
    const exportsOf = (dts: string) => {
      const program = ts.createProgram([dist(dts)], { strict: true, noEmit: true, skipLibCheck: true });
      const checker = program.getTypeChecker();
      const mod = checker.getSymbolAtLocation(program.getSourceFile(dist(dts))!)!;
      return new Set(checker.getExportsOfModule(mod).map((s) => s.name));
    };
    const protocolValues = new Set(declaredValues(dist('protocol/index.d.ts')));
    const protocolTypes = [...exportsOf('protocol/index.d.ts')].filter((n) => !protocolValues.has(n));
    expect(protocolTypes).toContain('Position');
    const main = exportsOf('index.d.ts');
    expect(protocolTypes.filter((n) => !main.has(n))).toEqual([]);
  });
});
