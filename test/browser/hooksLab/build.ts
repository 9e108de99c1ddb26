import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const pkg = (p: string) => fileURLToPath(new URL(`../../../packages/${p}`, import.meta.url));
const sources: Record<string, string> = {
  '@lifeline/core': pkg('core/src/index.ts'),
  '@lifeline/core/protocol': pkg('core/src/protocol/index.ts'),
  '@lifeline/react': pkg('react/src/index.ts'),
};

/**
 * Bundles the hook lab for Chromium from the workspace sources (core with its browser
 * platform, as its `browser` build is), with React's development build so its
 * warnings (hydration mismatches among them) reach the console.
 */
export async function buildLab(): Promise<string> {
  const out = await build({
    entryPoints: [fileURLToPath(new URL('./entry.tsx', import.meta.url))],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"development"' },
    logLevel: 'silent',
    plugins: [
      {
        name: 'workspace-sources',
        setup(b) {
          b.onResolve({ filter: /^@lifeline\/(core|react)(\/protocol)?$/ }, (a) => ({ path: sources[a.path]! }));
          b.onResolve({ filter: /^\.\/platform$/ }, (a) =>
            a.resolveDir.startsWith(pkg('core/src')) ? { path: `${a.resolveDir}/platform.browser.ts` } : undefined,
          );
        },
      },
    ],
  });
  return out.outputFiles[0]!.text;
}
