import type { WebSocketLike } from './types';

export interface ConnectionHandlers {
  /** The socket opened; `hello` has been sent. */
  open(): void;
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
export class Connection {
  /** Inbound frames so far. */
  rx = 0;
  private seenRx = 0;
  private lastRxAt: number;
  private ws: WebSocket | null;
  private hintMs: number | undefined;

  constructor(
    Ctor: WebSocketLike,
    url: string,
    hello: string,
    now: number,
    private readonly on: ConnectionHandlers,
  ) {
    this.lastRxAt = now;
    const ws = new Ctor(url);
    this.ws = ws;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      ws.send(hello);
      on.open();
    };
    ws.onmessage = (ev) => {
      if (this.ws !== ws) return;
      this.rx++;
      on.frame(ev.data);
    };
    ws.onclose = (ev) => {
      if (this.ws === ws) this.finish(ev.code || 1006, ev.reason || '');
    };
    // Some environments report an error without a close; closing makes the close event certain.
    ws.onerror = () => {
      if (this.ws === ws) safe(() => ws.close());
    };
    // Node's `ws` lets us read the refusal's headers (HTTP 503 + x-retry-after-ms).
    const node = ws as unknown as { on?: (ev: string, fn: (req: unknown, res: NodeRes) => void) => void };
    if (typeof node.on === 'function') {
      node.on('unexpected-response', (_req, res) => {
        const h = res.headers || {};
        const ms = Number(h['x-retry-after-ms'] ?? Number(h['retry-after']) * 1000);
        if (ms >= 0) this.hintMs = ms;
        if (this.ws === ws) this.kill(1006, `http ${res.statusCode}`);
      });
    }
  }

  send(text: string): void {
    // Only an OPEN socket may send (a CONNECTING one throws; a CLOSING one drops silently).
    if (this.ws?.readyState === 1) this.ws.send(text);
  }

  get live(): boolean {
    return this.ws !== null;
  }

  /** True when nothing arrived for `timeoutMs` (checked against `now`). */
  silentFor(now: number, timeoutMs: number): boolean {
    if (this.rx !== this.seenRx) {
      this.seenRx = this.rx;
      this.lastRxAt = now;
    }
    return now - this.lastRxAt >= timeoutMs;
  }

  /** Starts a clean close; `closed` follows when the socket confirms (or `kill` forces it). */
  close(code = 1000, reason = ''): void {
    const ws = this.ws;
    if (ws) safe(() => ws.close(code, reason));
  }

  /** Tears the socket down at once without waiting for a close handshake. */
  kill(code: number, reason: string): void {
    const ws = this.ws;
    if (!ws) return;
    this.finish(code, reason);
    const t = ws as unknown as { terminate?: () => void };
    safe(() => (t.terminate ? t.terminate() : ws.close(code >= 4000 ? code : 1000, reason)));
  }

  private finish(code: number, reason: string): void {
    const ws = this.ws;
    if (!ws) return;
    this.ws = null;
    ws.onopen = ws.onmessage = ws.onclose = null;
    // Keep a no-op error handler: Node's `ws` throws on an unhandled 'error'.
    ws.onerror = () => {};
    this.on.closed(code, reason, this.hintMs);
  }
}

interface NodeRes {
  statusCode?: number;
  headers?: Record<string, string | undefined>;
}

function safe(fn: () => void): void {
  try {
    fn();
  } catch {
    // closing an already-failed socket may throw; the socket is gone either way
  }
}
