// Runs the core unit suite and the core integration suite against the built dist
// (`pnpm --filter @lifeline/core build` first), so the property mangling of
// tsup.config.ts is proven by the same tests as the source:
//   pnpm exec vitest run --config packages/core/vitest.dist.config.ts
// With CORE_DIST_BROWSER=1 the browser build is under test instead (only the tests of
// `ws`-only behaviour, the refused-upgrade hint, are expected to fail there).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const dist = { index: here(process.env.CORE_DIST_BROWSER ? './dist/index.browser.js' : './dist/index.js'), testing: here('./dist/testing.js'), protocol: here('./dist/protocol/index.js') };

export default defineConfig({
  plugins: [
    {
      name: 'core-from-dist',
      enforce: 'pre',
      async resolveId(id, importer) {
        if (id === '@lifeline/core') return dist.index;
        if (id === '@lifeline/core/testing') return dist.testing;
        if (id === '@lifeline/core/protocol') return dist.protocol;
        if (!importer || !id.startsWith('.')) return null;
        const r = await this.resolve(id, importer, { skipSelf: true });
        if (r?.id === here('./src/index.ts')) return dist.index;
        if (r?.id === here('./src/testing.ts')) return dist.testing;
        return null;
      },
    },
  ],
  test: {
    name: 'core-dist',
    root: here('../..'),
    // The integration suite relies on the default WebSocket, which the browser build takes
    // from globalThis (absent in Node 20): unit tests only there.
    include: ['packages/core/test/**/*.test.ts', ...(process.env.CORE_DIST_BROWSER ? [] : ['test/core/**/*.test.ts'])],
    // Tests of internal modules (emitter, backoff…) import them from src directly; the
    // client itself, and everything reached through it, comes from dist.
    testTimeout: 30_000,
    alias: [{ find: /^@lifeline\/server$/, replacement: here('../server/src/index.ts') }],
  },
});
