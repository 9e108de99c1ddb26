import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { programOf } from './typeCheckSource';

// P2-8: the published declarations compile for an app without @types/node (lib ES2022 only,
// no DOM): `createProgress(stream?: NodeJS.WriteStream)` failed with "Cannot find namespace
// 'NodeJS'", and `hooks.signal` needed the global AbortSignal.

const here = dirname(fileURLToPath(import.meta.url));
const dts = join(here, '../dist/index.d.ts');
const entry = join(here, '__noNodeTypes__.ts');

const SOURCE = `
import { createProgress, runStorm, type RunHooks } from '../dist/index.js';
declare const signal: RunHooks['signal'];
export const bar = createProgress({ isTTY: false, write: () => true });
export const run = () => runStorm({ scenario: 'blip', clients: 10 }, { progress: bar, signal });
`;

if (!existsSync(dts)) console.warn(`[skip] typesWithoutNode: ${dts} is not built (pnpm --filter @lifeline/storm build)`);
describe('storm declarations without @types/node', () => {
  it.skipIf(!existsSync(dts))('compile with lib ES2022 alone, skipLibCheck off', () => {
    const options: ts.CompilerOptions = {
      target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler,
      lib: ['lib.es2022.d.ts'], types: [], strict: true, noEmit: true, skipLibCheck: false, exactOptionalPropertyTypes: true,
    };
    const program = programOf(entry, SOURCE, options);
    const errors = ts.getPreEmitDiagnostics(program).map((d) => `${d.file?.fileName ?? ''} ${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n').split('\n')[0]}`);
    expect(errors).toEqual([]);
  }, 60_000);
});
