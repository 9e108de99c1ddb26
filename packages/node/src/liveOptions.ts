import type { ClientOptions, Clock, WebSocketLike } from '@lifeline/core';
import type { NodeClientOptions } from './createNodeClient';
import type { TransportOptions } from './nodeSocket';
import { CORE_CLIENT_OPTION_KEYS } from './optionKeys';

/** `hello.agent` when the `agent` option is not a string. */
export const NODE_HELLO_AGENT = 'lifeline-node/0.1.0';

/** What the adapter gives core in place of the caller's values. */
export interface CoreOverrides {
  /** The adapter's `ws` class. */
  WebSocket: WebSocketLike;
  /** The caller's clock (or the system's) with every timer unref'd; core reads it once. */
  clock: Clock;
}

/**
 * Core's options as a view of the caller's object: every key is a getter reading
 * `options` when core reads it. Core keeps its options object as given and reads some of
 * them (`url`, `agent`, `handshakeTimeoutMs`, `heartbeat.timeoutMs`) at each connection
 * attempt, so a `state` listener may assign `options.url` to move the next attempt to
 * another server; a copy made at creation (`{ ...options }`) silently kept every attempt
 * on the first URL. All of core's keys read through, not only today's live ones, so a key
 * core reads live later is live here too. `agent` maps the Node meaning (an `http.Agent`
 * is the transport's, not the hello text) and `lifecycle` the Node default (none).
 */
export function coreOptionsView(options: NodeClientOptions, overrides: CoreOverrides): ClientOptions {
  const view = Object.defineProperties({} as ClientOptions, {
    WebSocket: { enumerable: true, value: overrides.WebSocket },
    clock: { enumerable: true, value: overrides.clock },
    lifecycle: { enumerable: true, get: () => options.lifecycle ?? false },
    agent: {
      enumerable: true,
      get: () => (typeof options.agent === 'string' ? options.agent : NODE_HELLO_AGENT),
    },
  });
  for (const key of Object.keys(CORE_CLIENT_OPTION_KEYS) as (keyof ClientOptions)[]) {
    if (key in view) continue;
    Object.defineProperty(view, key, { enumerable: true, get: () => (options as ClientOptions)[key] });
  }
  return view;
}

/**
 * The transport options as a view of the caller's object, read by the adapter's `ws`
 * class at each connection attempt (with the `url` core passes it): a listener moving the
 * client to another server may give that attempt its own `headers`, `agent` or `tls`
 * (another CA, servername), like core's own per-attempt options. A string `agent` is the
 * hello text, not an `http.Agent`.
 */
export function transportView(options: NodeClientOptions): TransportOptions {
  return {
    get headers() {
      return options.headers;
    },
    get agent() {
      return typeof options.agent === 'object' && options.agent !== null ? options.agent : undefined;
    },
    get tls() {
      return options.tls;
    },
    get perMessageDeflate() {
      return options.perMessageDeflate;
    },
    get handshakeTimeoutMs() {
      return options.handshakeTimeoutMs;
    },
    get maxPayloadBytes() {
      return options.maxPayloadBytes;
    },
  };
}
