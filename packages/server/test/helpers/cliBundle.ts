// The CLI bundled from source for tests that run it as a process (the dist may be stale
// while tests run from src). Inside node_modules so the bundle resolves `ws` like the
// package does, and git ignores it.
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const pkg = fileURLToPath(new URL('../..', import.meta.url));

/** Bundles src/cli.ts into node_modules/.cache/<name>/cli.mjs and returns its path. */
export async function bundleCli(name: string): Promise<string> {
  const outDir = `${pkg}node_modules/.cache/${name}`;
  const cliJs = `${outDir}/cli.mjs`;
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: [`${pkg}src/cli.ts`],
    outfile: cliJs,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['ws', 'ioredis'],
    alias: {
      '@lifeline/core/protocol': `${pkg}../core/src/protocol/index.ts`,
      '@lifeline/core': `${pkg}../core/src/index.ts`,
    },
    logLevel: 'silent',
  });
  return cliJs;
}
