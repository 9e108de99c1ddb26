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
  'silentFor', 'isFunction', 'fixed', 'fixedTimeoutMs', 'expiresAt', 'expire', 'enterFrame',
  'counters', 'answer', 'tail', 'setTimer', 'clearTimer', 'retryDelay',
  'onUnsubscribed', 'onSubscribed', 'onPresence', 'onPresenceOk', 'onMsg', 'onEvent',
  'onAck', 'onError', 'onOutbox', 'idPrefix', 'frame', 'closing', 'closed', 'kill', 'list', 'wait',
  'backoff', 'seq', 'last', 'flushed', 'snapshot', 'bytes', 'reset', 'find', 'pub', 'welcome', 'pong',
  'drain', 'report',
];

export default defineConfig({
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
    o.mangleProps = new RegExp(`^(${INTERNAL_PROPS.join('|')})$`);
  },
});
