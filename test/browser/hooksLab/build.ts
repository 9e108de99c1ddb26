import { fileURLToPath } from 'node:url';
import { bundleLab } from '../labPage';

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
export const buildLab = (): Promise<string> =>
  bundleLab(fileURLToPath(new URL('./entry.tsx', import.meta.url)), {
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
