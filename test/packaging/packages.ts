// The published packages and what each must expose. Shared by the packaging checks,
// which all run against the built dist (never src) the way a user would see it.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));
/** test/ holds node_modules/@lifeline/* links to every package (see test/package.json). */
export const testDir = path.join(root, 'test');

export interface PublishedPackage {
  name: string;
  dir: string;
  /** Subpaths besides "." that the exports map publishes (read from package.json). */
  subpaths: string[];
  /** Runtime names that must exist under both ESM and CJS (from the design brief). */
  mustExport: string[];
}

/** Names a known subpath must export; a subpath not listed here is still checked for loading. */
export const subpathExports: Record<string, string[]> = {
  '@lifeline/core/protocol': ['CloseCode', 'PROTOCOL_VERSION'],
  '@lifeline/core/testing': ['createManualClock', 'createManualLifecycle'],
};

function pkg(name: string, mustExport: string[]): PublishedPackage {
  const dir = path.join(root, 'packages', name);
  const exportsMap = (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { exports?: Record<string, unknown> }).exports ?? {};
  const subpaths = Object.keys(exportsMap)
    .filter((k) => k !== '.' && !k.endsWith('.json'))
    .map((k) => k.replace(/^\.\//, ''));
  return { name: `@lifeline/${name}`, dir, subpaths, mustExport };
}

export const publishedPackages: PublishedPackage[] = [
  pkg('core', ['createClient', 'LifelineError']),
  pkg('react', ['LifelineProvider', 'useChannel', 'useConnectionState', 'usePresence']),
  pkg('node', []),
  pkg('server', ['createServer']),
  pkg('storm', []),
];

/** A fresh scratch directory under the workspace's ignored .tmp/. */
export function scratchDir(prefix: string): string {
  const base = path.join(root, '.tmp');
  mkdirSync(base, { recursive: true });
  return mkdtempSync(path.join(base, `${prefix}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** `pnpm pack` (which rewrites workspace: ranges like a publish) into `dest`; returns the tarball path. */
export function packTarball(p: PublishedPackage, dest: string): string {
  const before = new Set(readdirSync(dest));
  execFileSync('pnpm', ['pack', '--pack-destination', dest], { cwd: p.dir, stdio: 'pipe', timeout: 60_000 });
  const made = readdirSync(dest).filter((f) => f.endsWith('.tgz') && !before.has(f));
  if (made.length !== 1) throw new Error(`pnpm pack in ${p.dir} produced ${made.length} tarballs`);
  return path.join(dest, made[0]!);
}
