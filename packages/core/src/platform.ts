import WS from 'isomorphic-ws';
import type { WebSocketLike } from './types';

/**
 * What differs between Node and the browser. The browser build (dist/index.browser.js,
 * the `browser` export condition) swaps this file for platform.browser.ts, so browser
 * bundles carry neither isomorphic-ws nor the handling of `ws`-only events.
 */

/** The WebSocket used when none is injected: the global one, else `ws` via isomorphic-ws. */
export const defaultWebSocket = (): WebSocketLike => WS as unknown as WebSocketLike;

/**
 * Node's `ws` exposes a refused upgrade (HTTP 503 + `x-retry-after-ms`/`retry-after`) as
 * an `unexpected-response` event; browsers only see a failed socket. Calls `refused`
 * with the server's hint (ms, when given) and the HTTP status.
 */
export function watchRefusal(sock: unknown, refused: (hintMs: number | undefined, status: number | undefined) => void): void {
  interface Res {
    statusCode?: number;
    headers?: Record<string, string | undefined>;
  }
  const node = sock as { on?: (ev: string, fn: (req: unknown, res: Res) => void) => void };
  node.on?.('unexpected-response', (_req, res) => {
    const h = res.headers || {};
    const ms = Number(h['x-retry-after-ms'] ?? Number(h['retry-after']) * 1000);
    refused(ms >= 0 ? ms : undefined, res.statusCode);
  });
}
