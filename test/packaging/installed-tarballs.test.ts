// A new user's install: every package packed with `pnpm pack`, unpacked into a
// node_modules outside the workspace next to only the third-party packages the packed
// manifests declare (see consumerInstall.ts), then used the way the READMEs say.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { installTarballs, isolatedDir, linkFromWorkspace, packAsync, type PackedManifest } from './consumerInstall';
import { publishedPackages, removeDir, root } from './packages';
import { coreSource, nodeSource, reactSource, serverSource } from './readmeConsumer';
import { coreTypeChecks, nodeTypeChecks, reactTypeChecks } from './consumerTypeChecks';

const run = promisify(execFile);
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
let dir = '';
let manifests = new Map<string, PackedManifest>();

beforeAll(async () => {
  dir = isolatedDir('lifeline-consumer');
  const packed = await Promise.all(publishedPackages.map(async (pkg) => ({ pkg, tarball: await packAsync(pkg, path.join(dir, '.tarballs')) })));
  manifests = await installTarballs(dir, packed);
  // What the consumer app itself installs next to the Lifeline packages.
  for (const name of ['@types/node', '@types/react', 'react', 'react-dom']) linkFromWorkspace(dir, name);
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
}, 120_000);
afterAll(() => removeDir(dir));

function specifiers(): string[] {
  return publishedPackages.flatMap((p) => [p.name, ...p.subpaths.map((s) => `${p.name}/${s}`)]);
}

async function node(args: string[], timeout = 20_000): Promise<string> {
  const { stdout } = await run(process.execPath, args, { cwd: dir, timeout });
  return stdout;
}

describe('the packed tarballs, installed outside the workspace', () => {
  it('every entry point loads under ESM import and CJS require', async () => {
    const list = JSON.stringify(specifiers());
    const esm = `for (const s of ${list}) { const m = await import(s); if (!Object.keys(m).length) throw new Error(s + ' is empty'); } console.log('ok');`;
    const cjs = `for (const s of ${list}) { const m = require(s); if (!Object.keys(m).length) throw new Error(s + ' is empty'); } console.log('ok');`;
    expect((await node(['--input-type=module', '-e', esm])).trim()).toBe('ok');
    expect((await node(['--input-type=commonjs', '-e', cjs])).trim()).toBe('ok');
  }, 30_000);

  it('every package ships the MIT license its manifest declares', () => {
    for (const m of manifests.values()) {
      const text = readFileSync(path.join(dir, 'node_modules', m.name, 'LICENSE'), 'utf8');
      expect(text.startsWith('MIT License'), m.name).toBe(true);
    }
  });

  it('every bin runs and prints its usage', async () => {
    const bins = [...manifests.values()].flatMap((m) => Object.entries(m.bin ?? {}).map(([name, file]) => ({ name, file: path.join(dir, 'node_modules', m.name, file) })));
    expect(bins.map((b) => b.name).sort()).toEqual(['lifeline-server', 'lifeline-storm']);
    for (const b of bins) {
      expect(readFileSync(b.file, 'utf8').startsWith('#!/usr/bin/env node')).toBe(true);
      expect(await node([b.file, '--help'])).toMatch(new RegExp(`${b.name}`));
    }
  }, 30_000);

  it('a core client publishes to and receives from the server started from the packed bin', async () => {
    const serverBin = path.join(dir, 'node_modules', '@lifeline/server', manifests.get('@lifeline/server')!.bin!['lifeline-server']!);
    const server = spawn(process.execPath, [serverBin, '--port', '0'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        server.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /listening on (ws:\/\/\S+)/.exec(out);
          if (m) resolve(m[1]!);
        });
        server.once('exit', (code) => reject(new Error(`lifeline-server exited ${code} before listening`)));
      });
      const script = `
        import { createClient } from '@lifeline/core';
        const client = createClient({ url: ${JSON.stringify(`${url}/v1`)} });
        const room = client.channel('room:1');
        const received = new Promise((resolve) => room.subscribe((msg) => resolve(msg)));
        const ack = await room.publish({ text: 'hi' });
        const msg = await received;
        await client.close();
        console.log(JSON.stringify({ ack, msg: { channel: msg.channel, offset: msg.offset, data: msg.data } }));`;
      const out = JSON.parse(await node(['--input-type=module', '-e', script]));
      expect(out).toEqual({ ack: { offset: 1, epoch: expect.any(String), duplicate: false }, msg: { channel: 'room:1', offset: 1, data: { text: 'hi' } } });
    } finally {
      server.kill('SIGTERM');
    }
  }, 30_000);

  it('the README code and the type checks compile under the strictest app settings against the installed declarations (node16 and bundler)', async () => {
    const sources = {
      'core.ts': coreSource,
      'node.ts': nodeSource,
      'server.ts': serverSource,
      'app.tsx': reactSource,
      'core-types.ts': coreTypeChecks,
      'node-types.ts': nodeTypeChecks,
      'react-types.tsx': reactTypeChecks,
    };
    for (const [file, text] of Object.entries(sources)) writeFileSync(path.join(dir, file), text);
    const compile = async (mode: 'node16' | 'bundler') => {
      const config = `tsconfig.${mode}.json`;
      const module = mode === 'node16' ? 'node16' : 'esnext';
      // The flags strict apps add: with exactOptionalPropertyTypes an optional option that
      // did not also allow `undefined` refused the READMEs' `token: process.env.TOKEN`, and
      // skipLibCheck hid it (and any declaration of ours that does not compile under them).
      const compilerOptions = {
        strict: true,
        exactOptionalPropertyTypes: true,
        noUncheckedIndexedAccess: true,
        verbatimModuleSyntax: true,
        noEmit: true,
        skipLibCheck: false,
        target: 'ES2022',
        lib: ['ES2022', 'DOM'],
        module,
        moduleResolution: mode,
        jsx: 'react-jsx',
        types: ['node'],
      };
      writeFileSync(path.join(dir, config), JSON.stringify({ compilerOptions, files: Object.keys(sources) }));
      return run(process.execPath, [tsc, '-p', config, '--pretty', 'false'], { cwd: dir, timeout: 120_000 }).then(
        () => '',
        (e: { stdout?: string; message: string }) => `${mode}: ${e.stdout || e.message}`,
      );
    };
    const hint = 'an unused @ts-expect-error means a type fell back to any: is a types package missing from dependencies?';
    expect(await Promise.all([compile('node16'), compile('bundler')]), hint).toEqual(['', '']);
  }, 150_000);

  it('README links that stay inside a package point at files the tarball contains', () => {
    // Deliberately not published: 724 KB of raw storm runs, read on the repository.
    const repoOnly = new Set(['@lifeline/storm: results/']);
    const missing: string[] = [];
    for (const m of manifests.values()) {
      const pkgDir = path.join(dir, 'node_modules', m.name);
      const readme = readFileSync(path.join(pkgDir, 'README.md'), 'utf8');
      for (const [, target] of readme.matchAll(/\]\(([^)\s#]+)(?:#[^)]*)?\)/g)) {
        if (/^[a-z]+:/i.test(target!) || target!.startsWith('../') || target!.startsWith('/')) continue;
        const link = `${m.name}: ${target}`;
        if (!repoOnly.has(link) && !existsSync(path.join(pkgDir, target!)) && !missing.includes(link)) missing.push(link);
      }
    }
    expect(missing).toEqual([]);
  });
});
