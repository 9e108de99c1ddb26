import { defineConfig } from 'tsup';

/**
 * Members of internal objects only (channel/publisher/outbox/presence/connection/token
 * plumbing), renamed to short names in dist so the browser bundle does not carry them.
 * A name here must never be a public property (options, snapshots, events, stats), a
 * wire-frame field, or a member of a built-in/DOM/`ws` object the core touches:
 * esbuild renames every `x.name` in the bundle. test/mangleProps.test.ts checks the public side of that; the
 * suite run against dist (vitest.dist.config.ts) checks the rest.
 */
export const INTERNAL_PROPS = [
  '_l', '_f', 'rx', 'ready', 'connected', 'disconnected', 'wanted', 'onEmpty', 'failAll',
  'silentFor', 'isFunction', 'fixed', 'expiresAt', 'expire', 'enterFrame',
  'counters', 'answer', 'tail', 'retryDelay',
  'onUnsubscribed', 'onSubscribed', 'onPresence', 'onPresenceOk', 'onMsg', 'onEvent',
  'onAck', 'onError', 'onOutbox', 'idPrefix', 'frame', 'closing', 'closed', 'kill', 'list', 'wait',
  'backoff', 'seq', 'last', 'flushed', 'snapshot', 'bytes', 'reset', 'find', 'pub', 'welcome', 'pong',
  'drain', 'report',
];

const mangleProps = new RegExp(`^(${INTERNAL_PROPS.join('|')})$`);

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
