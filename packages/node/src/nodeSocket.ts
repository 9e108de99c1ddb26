import type { Agent as HttpAgent } from 'node:http';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import WebSocket from 'ws';
import type { ClientOptions as WsClientOptions, PerMessageDeflateOptions } from 'ws';
import type { WebSocketLike } from '@lifeline/core';
import { checkHeaders } from './nodeOptions';

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
   * Extra HTTP headers on the upgrade request (e.g. `Authorization`): a plain object of
   * name → value. A function is called for every connection attempt, so a refreshed
   * credential is picked up; it must return the headers synchronously: a Promise (an
   * `async` function) fails that attempt with `BAD_OPTION` in `transport.lastError`, as does
   * a throw or an invalid header (the attempt is retried with backoff).
   * @default {}
   */
  headers?: Record<string, string> | (() => Record<string, string>) | undefined;
  /**
   * HTTP(S) agent for the upgrade request, e.g. a proxy agent. An agent that states its
   * `protocol` as a value must match the URL's; a computed one (agent-base's proxy agents) is
   * left to Node. @default undefined (Node's global agent)
   */
  agent?: HttpAgent | undefined;
  /** TLS options for `wss://` (custom CA, client certificate, …); refused with a `ws://` URL. @default undefined */
  tls?: TlsOptions | undefined;
  /**
   * permessage-deflate negotiation. Off by default: compression costs CPU and memory
   * per socket, and Lifeline frames are small JSON.
   * @default false
   */
  perMessageDeflate?: boolean | PerMessageDeflateOptions | undefined;
  /**
   * Time allowed for the HTTP upgrade, 1 … 2^31 - 1 ms (createNodeClient checks it). In
   * {@link NodeClientOptions} the same value is also core's `handshakeTimeoutMs` (no
   * `welcome` within it → retry). @default 10_000
   */
  handshakeTimeoutMs?: number | undefined;
  /**
   * Largest incoming message `ws` accepts before closing with 1009: an integer 1 … 2^31 - 1
   * (`ws` reads 0, NaN or more as no limit; createNodeClient refuses them).
   * @default 1_048_576
   */
  maxPayloadBytes?: number | undefined;
}

/** Defaults of {@link TransportOptions}. */
export const TRANSPORT_DEFAULTS = {
  perMessageDeflate: false,
  handshakeTimeoutMs: 10_000,
  maxPayloadBytes: 1_048_576,
} as const;

/**
 * Builds the options object handed to `new ws.WebSocket(url, protocols, options)`.
 * Calls a `headers` function and throws what it throws, or `BAD_OPTION` for a header
 * Node would refuse or a returned Promise (headers must be returned synchronously).
 */
export function toWsOptions(options: TransportOptions): WsClientOptions {
  const fromFunction = typeof options.headers === 'function';
  const headers = fromFunction ? (options.headers as () => Record<string, string>)() : options.headers;
  checkHeaders(headers, fromFunction);
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
 * `toWsOptions`, except that a failing header function (a credential store down, a
 * value with a stray newline) fails this connection attempt like a network error,
 * asynchronously: a constructor that throws is a permanent failure to core (the same
 * URL would throw the same way), and the next attempt may well get good headers.
 */
function wsOptionsFor(options: TransportOptions): WsClientOptions {
  try {
    return toWsOptions(options);
  } catch (error) {
    const failed = error instanceof Error ? error : new Error(String(error));
    const reason: Error & { code?: string } = new Error(`headers function failed: ${failed.message}`, { cause: error });
    // transport.lastError.code: 'BAD_OPTION' for a header Node refuses or a returned Promise.
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code === 'string') reason.code = code;
    // ws calls finishRequest before sending anything; destroying the request there makes
    // ws emit this error and close with 1006, which core retries with backoff.
    return {
      ...toWsOptions({ ...options, headers: undefined }),
      finishRequest: (request) => void request.destroy(reason),
    };
  }
}

/**
 * Returns a WebSocket constructor for core's `WebSocket` option: a subclass of `ws`
 * that applies the Node transport options and reports every instance it creates,
 * so the adapter can pause/resume the live socket (TCP backpressure). `onSend`
 * gets each frame sent (the flow controller reads on for an awaited ack or a ping).
 */
export function createNodeWebSocket(
  options: TransportOptions = {},
  onSocket?: (socket: WebSocket) => void,
  onSend?: (socket: WebSocket, data: unknown) => void,
): WebSocketLike & typeof WebSocket {
  class LifelineNodeWebSocket extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols, wsOptionsFor(options));
      onSocket?.(this);
    }

    // Every frame core sends passes here (the flow controller reads on for an awaited ack).
    override send(...args: any[]): void {
      (super.send as (...a: any[]) => void)(...args);
      onSend?.(this, args[0]);
    }
  }
  return LifelineNodeWebSocket as unknown as WebSocketLike & typeof WebSocket;
}
