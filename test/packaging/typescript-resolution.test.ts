// Tiny consumer projects compiled with the workspace's TypeScript against the built
// declaration files: moduleResolution node16 (an ESM file and a CJS .cts file) and
// bundler. skipLibCheck is off so errors inside our .d.ts files count.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { publishedPackages, removeDir, root, scratchDir } from './packages';

const run = promisify(execFile);
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
let fixtures = '';

/** One import per package that uses a real exported symbol where the brief names one. */
function consumerSource(): string {
  const lines = [
    `import { createClient, type CloseCodeValue, type LifelineClient, type Message } from '@lifeline/core';`,
    `import { CloseCode, PROTOCOL_VERSION, type MessageFrame } from '@lifeline/core/protocol';`,
    `import { createManualClock } from '@lifeline/core/testing';`,
    `import { LifelineProvider, useChannel, useConnectionState, usePresence } from '@lifeline/react';`,
    `import { createServer } from '@lifeline/server';`,
    `import * as nodeAdapter from '@lifeline/node';`,
    `import * as storm from '@lifeline/storm';`,
    `export const make = (): LifelineClient => createClient({ url: 'ws://127.0.0.1:1/v1', autoConnect: false });`,
    `export const code: CloseCodeValue = CloseCode.NORMAL;`,
    `export const v: number = PROTOCOL_VERSION;`,
    `export const clock = createManualClock;`,
    `export type Pair = [Message<{ n: number }>, MessageFrame];`,
    `export const hooks = [LifelineProvider, useChannel, useConnectionState, usePresence, createServer];`,
    `export const namespaces = [nodeAdapter, storm];`,
  ];
  return `${lines.join('\n')}\n`;
}

function writeProject(name: string, compilerOptions: Record<string, unknown>, files: Record<string, string>, pkgType?: string): string {
  const dir = path.join(fixtures, name);
  mkdirSync(path.join(dir, 'node_modules', '@lifeline'), { recursive: true });
  for (const p of publishedPackages) symlinkSync(p.dir, path.join(dir, 'node_modules', p.name), 'dir');
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `fixture-${name}`, private: true, ...(pkgType ? { type: pkgType } : {}) }));
  const base = { strict: true, noEmit: true, skipLibCheck: false, target: 'ES2022', lib: ['ES2022', 'DOM'], types: ['node'], typeRoots: [path.join(root, 'node_modules', '@types')] };
  writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { ...base, ...compilerOptions }, include: Object.keys(files) }, null, 2));
  for (const [file, text] of Object.entries(files)) writeFileSync(path.join(dir, file), text);
  return dir;
}

async function compile(dir: string): Promise<string> {
  try {
    await run(process.execPath, [tsc, '-p', dir, '--pretty', 'false'], { cwd: dir, timeout: 120_000 });
    return '';
  } catch (error) {
    const e = error as { stdout?: string; message: string };
    return e.stdout || e.message;
  }
}

beforeAll(() => {
  fixtures = scratchDir('ts-fixtures');
});
afterAll(() => removeDir(fixtures));

describe('TypeScript consumers of the built declarations', () => {
  it('type-checks an ESM file and a CJS .cts file under moduleResolution node16', async () => {
    const dir = writeProject('node16', { module: 'node16', moduleResolution: 'node16' }, { 'esm.ts': consumerSource(), 'cjs.cts': consumerSource() }, 'module');
    expect(await compile(dir)).toBe('');
  }, 180_000);

  it('type-checks under moduleResolution bundler', async () => {
    const dir = writeProject('bundler', { module: 'esnext', moduleResolution: 'bundler' }, { 'index.ts': consumerSource() });
    expect(await compile(dir)).toBe('');
  }, 180_000);

  it('reports an error for a name the packages do not export (the fixture can fail)', async () => {
    const dir = writeProject('negative', { module: 'esnext', moduleResolution: 'bundler' }, {
      'index.ts': `import { notAnExport } from '@lifeline/core';\nexport const x = notAnExport;\n`,
    });
    expect(await compile(dir)).toMatch(/notAnExport/);
  }, 180_000);
});
