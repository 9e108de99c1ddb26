import type { WebSocket } from 'ws';

/**
 * Half-closes the TCP connection right after the close frame (a drain's 1012), instead
 * of waiting for the client's close frame before ending it.
 *
 * Why: a client's `close` event fires only once the server has ended the connection,
 * and the server does that when its event loop gets to the client's close reply. A
 * server draining 10,000 clients is busy exactly then, so the closes (and the
 * reconnect windows that start from them) reached clients up to 4–15 s late, and late
 * clients bunched up (storm, `drain`, 10,000 clients). With the FIN sent behind the
 * close frame, the client sees frame + end of stream, answers, and closes on its own.
 * Writes queued before `end()` (the `drain` frame, the close frame) are still delivered.
 */
export function endAfterCloseFrame(ws: WebSocket): void {
  const raw = (ws as unknown as { _socket?: { end(): void; destroyed?: boolean } })._socket;
  if (raw && !raw.destroyed) raw.end();
}
