import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { programOf } from './typeCheckSource';

// P2-7: every optional option of storm takes `undefined`, as core's, node's and server's do
// (the root README promises it). Under exactOptionalPropertyTypes an app's
// `{ scenario: 'blip', target: process.env.TARGET }` failed with TS2375.

const here = dirname(fileURLToPath(import.meta.url));
const entry = join(here, '__exactOptional__.ts');

const SOURCE = `
import { runStorm, runCompare, resolveOptions, createChaosProxy, toHtml, type StormOptions, type ChaosProxyOptions } from '../src/index';
declare const maybeNum: number | undefined;
declare const maybeBool: boolean | undefined;
declare const maybeStr: string | undefined;
declare const maybeSignal: AbortSignal | undefined;

export async function main(): Promise<void> {
  const o: StormOptions = {
    scenario: 'blip',
    target: process.env.TARGET,
    token: process.env.LIFELINE_STORM_TOKEN,
    clients: maybeNum, channels: maybeNum, publishRate: maybeNum, strategy: undefined, serverHint: maybeBool,
    admissionRate: maybeNum, seed: maybeNum, durationMs: maybeNum, downMs: maybeNum, initialDelayMs: maybeNum,
    maxDelayMs: maybeNum, heartbeatMs: maybeNum, workers: maybeNum, client: undefined, broker: maybeStr,
  };
  resolveOptions(o);
  await runStorm(o, { progress: undefined, clientFactory: undefined, signal: maybeSignal });
  await runCompare(o, [{ strategy: undefined, serverHint: true }], { onRun: undefined, signal: maybeSignal });
  const p: ChaosProxyOptions = { target: 'ws://127.0.0.1:8080', listenPort: maybeNum, listenHost: maybeStr, latencyMs: maybeNum, bytesPerSec: undefined, schedule: undefined };
  await createChaosProxy(p);
  toHtml([], undefined, { failed: maybeStr, exitStatus: maybeNum });
  // @ts-expect-error a typo in an option is still an error
  const typo: StormOptions = { scenario: 'blip', clientz: 5 };
  void typo;
}
`;

describe('storm option types under exactOptionalPropertyTypes', () => {
  it('every optional option takes undefined (process.env.X included)', () => {
    const parsed = ts.getParsedCommandLineOfConfigFile(join(here, '../tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })!;
    const options: ts.CompilerOptions = { ...parsed.options, exactOptionalPropertyTypes: true, noEmit: true, skipLibCheck: true };
    const program = programOf(entry, SOURCE, options);
    const errors = ts.getPreEmitDiagnostics(program, program.getSourceFile(entry)).map((d) => `${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n').split('\n')[0]}`);
    expect(errors).toEqual([]);
  }, 60_000);
});
