// Every published package refuses `pnpm pack` while a file its package.json points at is
// missing or empty (scripts/check-packed-files.mjs as its `prepack`): a pack taken while
// tsup was still writing dist shipped no .d.ts, and every consumer import failed (TS7016).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without declarations
import { packedFileProblems } from '../../scripts/check-packed-files.mjs';
import { publishedPackages, root } from './packages';

const script = path.join(root, 'scripts', 'check-packed-files.mjs');
const rootPackageManager = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { packageManager: string }).packageManager;
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A package whose exports point at dist/index.js and dist/index.d.ts, with the given files. */
function fakePackage(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'lifeline-prepack-'));
  dirs.push(dir);
  mkdirSync(path.join(dir, 'dist'));
  writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({
      name: 'prepack-probe',
      version: '1.0.0',
      // The workspace's pnpm: outside it, corepack would look for the latest release online.
      packageManager: rootPackageManager,
      type: 'module',
      types: './dist/index.d.ts',
      exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' } },
      files: ['dist'],
      scripts: { prepack: `node ${JSON.stringify(script)}` },
    }),
  );
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

const pack = (dir: string) =>
  spawnSync('pnpm', ['pack', '--pack-destination', path.join(dir, 'out')], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
const tarballs = (dir: string) => {
  try {
    return readdirSync(path.join(dir, 'out')).filter((f) => f.endsWith('.tgz'));
  } catch {
    return [];
  }
};

describe('prepack: nothing is packed with a declared file missing', () => {
  for (const p of publishedPackages) {
    it(`${p.name} runs the check as its prepack, and its built files are all there`, () => {
      const scripts = (JSON.parse(readFileSync(path.join(p.dir, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
      expect(scripts.prepack).toBe('node ../../scripts/check-packed-files.mjs');
      expect(packedFileProblems(p.dir).problems).toEqual([]);
    });
  }

  it('pnpm pack stops at a missing .d.ts, naming it and the build command, and packs nothing', () => {
    const dir = fakePackage({ 'dist/index.js': 'export const x = 1;\n' });
    const r = pack(dir);
    expect(r.status).not.toBe(0);
    expect(r.stderr + r.stdout).toContain('./dist/index.d.ts (types) does not exist');
    expect(r.stderr + r.stdout).toContain('pnpm --filter prepack-probe build');
    expect(tarballs(dir)).toEqual([]);
  }, 60_000);

  it('an empty declared file (a build still writing it) is refused too; a complete package packs', () => {
    const dir = fakePackage({ 'dist/index.js': 'export const x = 1;\n', 'dist/index.d.ts': '' });
    const empty = pack(dir);
    expect(empty.status).not.toBe(0);
    expect(empty.stderr + empty.stdout).toContain('./dist/index.d.ts (types) is empty');
    writeFileSync(path.join(dir, 'dist/index.d.ts'), 'export declare const x: number;\n');
    const ok = pack(dir);
    expect(ok.status, ok.stderr).toBe(0);
    expect(tarballs(dir)).toEqual(['prepack-probe-1.0.0.tgz']);
  }, 60_000);
});
