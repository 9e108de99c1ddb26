// A consumer's node_modules built from the packed tarballs alone, outside the workspace,
// so nothing resolves through the workspace's own node_modules: a dependency a package
// uses but does not declare (at run time or in its .d.ts) fails here as it would for a
// user. Offline: third-party dependencies are linked from the workspace's install by the
// names each packed package.json declares, never fetched from a registry.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, renameSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { type PublishedPackage, root } from './packages';

const run = promisify(execFile);

export interface PackedManifest {
  name: string;
  bin?: Record<string, string>;
  files?: string[];
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/**
 * A scratch directory under the OS temp dir. Refuses to work when an ancestor holds a
 * node_modules, since Node and TypeScript would resolve undeclared packages from it.
 */
export function isolatedDir(prefix: string): string {
  const dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), `${prefix}-`)));
  for (let d = path.dirname(dir); ; d = path.dirname(d)) {
    if (existsSync(path.join(d, 'node_modules'))) throw new Error(`${d}/node_modules would leak into the isolated install in ${dir}`);
    if (path.dirname(d) === d) break;
  }
  return dir;
}

/** `pnpm pack` of one package (workspace: ranges rewritten as on publish), async so several run at once. */
export async function packAsync(p: PublishedPackage, dest: string): Promise<string> {
  const out = path.join(dest, p.name.replace('@lifeline/', ''));
  mkdirSync(out, { recursive: true });
  await run('pnpm', ['pack', '--pack-destination', out], { cwd: p.dir, timeout: 60_000 });
  const made = readdirSync(out).filter((f) => f.endsWith('.tgz'));
  if (made.length !== 1) throw new Error(`pnpm pack in ${p.dir} produced ${made.length} tarballs`);
  return path.join(out, made[0]!);
}

/** Where the workspace installed `name` for package `fromDir` (pnpm links declared deps there). */
function workspaceCopy(name: string, fromDir: string): string {
  const candidates = [fromDir, root, path.join(root, 'node_modules', '.pnpm')].map((d) => path.join(d, 'node_modules', name));
  const found = candidates.find((c) => existsSync(path.join(c, 'package.json')));
  if (!found) throw new Error(`${name} (declared by ${fromDir}) is not installed in the workspace: run pnpm install`);
  return realpathSync(found);
}

/** Links `name` into `dir`/node_modules from the workspace's copy, once. */
export function linkFromWorkspace(dir: string, name: string, fromDir = root): void {
  const target = path.join(dir, 'node_modules', name);
  if (existsSync(target)) return;
  mkdirSync(path.dirname(target), { recursive: true });
  symlinkSync(workspaceCopy(name, fromDir), target, 'dir');
}

/**
 * Extracts each tarball to `dir`/node_modules/<name> and links the third-party packages
 * its manifest declares (dependencies and peerDependencies), nothing else.
 */
export async function installTarballs(dir: string, packed: Array<{ pkg: PublishedPackage; tarball: string }>): Promise<Map<string, PackedManifest>> {
  const manifests = new Map<string, PackedManifest>();
  for (const { pkg, tarball } of packed) {
    const unpack = mkdtempSync(path.join(dir, '.unpack-'));
    await run('tar', ['xzf', tarball, '-C', unpack], { timeout: 30_000 });
    const target = path.join(dir, 'node_modules', pkg.name);
    mkdirSync(path.dirname(target), { recursive: true });
    renameSync(path.join(unpack, 'package'), target);
    manifests.set(pkg.name, JSON.parse(readFileSync(path.join(target, 'package.json'), 'utf8')) as PackedManifest);
  }
  for (const { pkg } of packed) {
    const m = manifests.get(pkg.name)!;
    for (const dep of Object.keys({ ...m.dependencies, ...m.peerDependencies })) {
      if (dep.startsWith('@lifeline/')) {
        if (!manifests.has(dep)) throw new Error(`${pkg.name} depends on ${dep}, which was not packed`);
        continue;
      }
      linkFromWorkspace(dir, dep, pkg.dir);
    }
  }
  return manifests;
}
