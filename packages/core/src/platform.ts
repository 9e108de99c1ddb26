import WS from 'isomorphic-ws';
import { attachDom, detachDom, type SocketListener } from './domSocket';
import type { WebSocketLike } from './types';

/**
 * What differs between Node and the browser. The browser build (dist/index.browser.js,
 * the `browser` export condition) swaps this file for platform.browser.ts, so browser
 * bundles carry neither isomorphic-ws nor the handling of `ws`-only events.
 */

/** The WebSocket used when none is injected: the global one, else `ws` via isomorphic-ws. */
export const defaultWebSocket = (): WebSocketLike => WS as unknown as WebSocketLike;

const OWNER = Symbol('lifeline.connection');
const TOO_BIG = Symbol('lifeline.tooBig');
type NodeWs = WS & { [OWNER]?: SocketListener; [TOO_BIG]?: boolean };
interface Res {
  statusCode?: number;
  headers?: Record<string, string | undefined>;
}

// Node's `ws` gets these shared EventEmitter listeners (the connection is found on the
// socket), not `onmessage`-style handlers: `ws` wraps each of those in a per-socket
// function, and 5,000 idle clients measured ~1 KB each of such wrappers and closures.
function open(this: NodeWs) {
  this[OWNER]?._onOpen();
}
function message(this: NodeWs, data: Buffer, isBinary: boolean) {
  this[OWNER]?._onMessage(isBinary ? data : data.toString());
}
// A message above `maxPayload`: ws sends 1009 to the peer but reports 1006 here, the same
// as a dropped network, so the client could not tell why it kept reconnecting.
function close(this: NodeWs, code: number, reason: Buffer) {
  this[OWNER]?._onClose(this[TOO_BIG] ? 1009 : code, reason.toString());
}
function error(this: NodeWs, e: Error & { code?: string }) {
  if (e.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') this[TOO_BIG] = true;
  this[OWNER]?._onError(e);
}
/** A refused upgrade (HTTP 503 + `x-retry-after-ms`/`retry-after`): browsers only see a failed socket. */
function unexpectedResponse(this: NodeWs, _req: unknown, res: Res) {
  refused(this[OWNER], res);
}

function refused(to: SocketListener | undefined, res: Res): void {
  if (!to) return;
  const h = res.headers || {};
  const ms = Number(h['x-retry-after-ms'] ?? Number(h['retry-after']) * 1000);
  to._hintMs = ms >= 0 ? ms : undefined;
  to._kill(1006, `http ${res.statusCode}`);
}

/**
 * A socket of the `ws` package isomorphic-ws resolved to. (Where isomorphic-ws gives
 * the browser's WebSocket, e.g. a bundler that ignores this package's `browser`
 * build, `instanceof` holds but there is no `on`.)
 */
const isNodeWs = (sock: unknown): sock is NodeWs => sock instanceof WS && typeof (sock as { on?: unknown }).on === 'function';

/** Starts delivering `sock`'s events to `to`. */
export function attach(sock: WebSocket, to: SocketListener): void {
  if (isNodeWs(sock)) {
    sock[OWNER] = to;
    sock.on('open', open).on('message', message).on('close', close).on('error', error).on('unexpected-response', unexpectedResponse);
  } else {
    attachDom(sock, to);
    // Another Node WebSocket with `ws`'s events (e.g. a second copy of `ws`).
    (sock as { on?: (ev: string, fn: (req: unknown, res: Res) => void) => void }).on?.('unexpected-response', (_req, res) => refused(to, res));
  }
}

/** Stops delivering `sock`'s events; its errors stay handled (`ws` throws on an unhandled 'error'). */
export function detach(sock: WebSocket): void {
  if (isNodeWs(sock)) {
    sock[OWNER] = undefined;
  } else detachDom(sock);
}
