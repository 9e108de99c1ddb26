import type { Agent as HttpAgent } from 'node:http';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import WebSocket from 'ws';
import type { ClientOptions as WsClientOptions, PerMessageDeflateOptions } from 'ws';
import type { WebSocketLike } from '@lifeline/core';

/** TLS options passed to `tls.connect` for `wss://` URLs. */
export type TlsOptions = Pick<
  TlsConnectionOptions,
  | 'ca'
  | 'cert'
  | 'key'
  | 'pfx'
  | 'passphrase'
  | 'rejectUnauthorized'
  | 'servername'
  | 'ciphers'
  | 'minVersion'
  | 'maxVersion'
>;

/** How the Node adapter opens its sockets (all options of `ws` that a service needs). */
export interface TransportOptions {
  /**
   * Extra HTTP headers on the upgrade request (e.g. `Authorization`). A function is
   * called for every connection attempt, so a refreshed credential is picked up.
   * @default {}
   */
  headers?: Record<string, string> | (() => Record<string, string>);
  /** HTTP(S) agent for the upgrade request, e.g. a proxy agent. @default undefined (Node's global agent) */
  agent?: HttpAgent;
  /** TLS options for `wss://` (custom CA, client certificate, …). @default undefined */
  tls?: TlsOptions;
  /**
   * permessage-deflate negotiation. Off by default: compression costs CPU and memory
   * per socket, and Lifeline frames are small JSON.
   * @default false
   */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  /** Time allowed for the HTTP upgrade. @default 10_000 */
  handshakeTimeoutMs?: number;
  /** Largest incoming message `ws` accepts before closing with 1009. @default 1_048_576 */
  maxPayloadBytes?: number;
}

export const TRANSPORT_DEFAULTS = {
  perMessageDeflate: false,
  handshakeTimeoutMs: 10_000,
  maxPayloadBytes: 1_048_576,
} as const;

/** Builds the options object handed to `new ws.WebSocket(url, protocols, options)`. */
export function toWsOptions(options: TransportOptions): WsClientOptions {
  const headers = typeof options.headers === 'function' ? options.headers() : options.headers;
  const out: WsClientOptions = {
    ...(options.tls ?? {}),
    perMessageDeflate: options.perMessageDeflate ?? TRANSPORT_DEFAULTS.perMessageDeflate,
    handshakeTimeout: options.handshakeTimeoutMs ?? TRANSPORT_DEFAULTS.handshakeTimeoutMs,
    maxPayload: options.maxPayloadBytes ?? TRANSPORT_DEFAULTS.maxPayloadBytes,
  };
  // A fresh copy per connection: ws merges its own headers into what it is given.
  if (headers) out.headers = { ...headers };
  if (options.agent) out.agent = options.agent;
  return out;
}

/**
 * Returns a WebSocket constructor for core's `WebSocket` option: a subclass of `ws`
 * that applies the Node transport options and reports every instance it creates,
 * so the adapter can pause/resume the live socket (TCP backpressure).
 */
export function createNodeWebSocket(
  options: TransportOptions = {},
  onSocket?: (socket: WebSocket) => void,
  onSend?: (socket: WebSocket) => void,
): WebSocketLike & typeof WebSocket {
  class LifelineNodeWebSocket extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols, toWsOptions(options));
      onSocket?.(this);
    }

    // Every frame core sends passes here (the flow controller reads on for an awaited ack).
    override send(...args: any[]): void {
      (super.send as (...a: any[]) => void)(...args);
      onSend?.(this);
    }
  }
  return LifelineNodeWebSocket as unknown as WebSocketLike & typeof WebSocket;
}
