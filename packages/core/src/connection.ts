import { watchRefusal } from './platform';
import type { WebSocketLike } from './types';

export interface ConnectionHandlers {
  /** One inbound WebSocket message, undecoded. */
  frame(data: unknown): void;
  /** The socket is gone. Called exactly once per connection. `hintMs` = server's retry-after. */
  closed(code: number, reason: string, hintMs?: number): void;
}

/**
 * One socket, from upgrade to close. Once it reports `closed` (or is killed) it
 * detaches from the socket, so a stale socket's late events can never reach the client.
 * Liveness is a counter bumped per inbound frame and read by a periodic check: no
 * per-frame timer and no per-frame clock read.
 */
export interface Connection {
  /** Inbound frames so far. */
  readonly rx: number;
  send(text: string): void;
  /** True when nothing arrived for `timeoutMs` before `now` (as seen by successive checks). */
  silentFor(now: number, timeoutMs: number): boolean;
  /** Starts a clean close; `closed` follows when the socket confirms (or `kill` forces it). */
  close(code: number, reason: string): void;
  /** Tears the socket down at once without waiting for a close handshake. */
  kill(code: number, reason: string): void;
}

export function openConnection(Ctor: WebSocketLike, url: string, hello: string, now: number, on: ConnectionHandlers): Connection {
  let ws: WebSocket | null = new Ctor(url);
  let seenRx = 0;
  let lastRxAt = now;
  let hintMs: number | undefined;
  const sock = ws;

  const finish = (code: number, reason: string) => {
    if (!ws) return;
    ws = null;
    sock.onopen = sock.onmessage = sock.onclose = null;
    // Keep a no-op error handler: Node's `ws` throws on an unhandled 'error'.
    sock.onerror = () => {};
    on.closed(code, reason, hintMs);
  };
  const c: Connection & { rx: number } = {
    rx: 0,
    send(text) {
      // Only an OPEN socket may send (a CONNECTING one throws; a CLOSING one drops silently).
      if (ws?.readyState === 1) ws.send(text);
    },
    silentFor(t, timeoutMs) {
      if (c.rx !== seenRx) {
        seenRx = c.rx;
        lastRxAt = t;
      }
      return t - lastRxAt >= timeoutMs;
    },
    close(code, reason) {
      // Browsers refuse some codes (1001) and reasons over 123 bytes: then close plainly.
      if (ws && !safe(() => sock.close(code, reason))) safe(() => sock.close());
    },
    kill(code, reason) {
      if (!ws) return;
      finish(code, reason);
      const t = sock as unknown as { terminate?: () => void };
      safe(() => (t.terminate ? t.terminate() : sock.close(code >= 4000 ? code : 1000, reason)));
    },
  };

  sock.onopen = () => sock.send(hello);
  sock.onmessage = (ev) => {
    c.rx++;
    on.frame(ev.data);
  };
  sock.onclose = (ev) => finish(ev.code || 1006, ev.reason || '');
  // Some environments report an error without a close; closing makes the close event certain.
  sock.onerror = () => safe(() => sock.close());
  watchRefusal(sock, (ms, status) => {
    hintMs = ms;
    c.kill(1006, `http ${status}`);
  });
  return c;
}

/** Runs `fn`; false when it threw (closing an already-failed socket may throw). */
function safe(fn: () => void): boolean {
  try {
    fn();
    return true;
  } catch {
    return false;
  }
}
