import { defineConfig } from 'tsup';

/**
 * Internal members (of the client, channel, publisher, presence, connection and token
 * classes) start with `_` and are renamed to short names in dist, so the browser bundle
 * does not carry them. esbuild renames every `x._name` in the bundle, so no public
 * property (options, snapshots, events, stats), wire-frame field, or member of a
 * built-in/DOM/`ws` object the core touches may start with `_`:
 * test/mangleProps.test.ts checks the public side; the suite run against dist
 * (vitest.dist.config.ts) checks the rest.
 */
export const INTERNAL_PREFIX = '_';

const mangleProps = /^_/;

export default defineConfig([
  {
    entry: ['src/index.ts', 'src/protocol/index.ts', 'src/testing.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'es2022',
    platform: 'neutral',
    splitting: false,
    treeshake: true,
    esbuildOptions(o) {
      o.mangleProps = mangleProps;
    },
  },
  {
    // The `browser` export condition: the same client with platform.browser.ts in place
    // of platform.ts (no isomorphic-ws, no `ws`-only code). Types are those of index.
    entry: { 'index.browser': 'src/index.ts' },
    format: ['esm'],
    dts: false,
    // Minified here, so the mangled names are chosen by how often each is used (shortest
    // for the most used): ~0.3 KB gzip less in the bundles people ship than renaming
    // without minifying, which the user's own minifier cannot undo.
    minify: true,
    sourcemap: true,
    target: 'es2022',
    platform: 'browser',
    splitting: false,
    treeshake: true,
    esbuildPlugins: [
      {
        name: 'browser-platform',
        setup(build) {
          build.onResolve({ filter: /^\.\/platform$/ }, (args) => ({ path: `${args.resolveDir}/platform.browser.ts` }));
        },
      },
    ],
    esbuildOptions(o) {
      o.mangleProps = mangleProps;
    },
  },
]);
