import type { SocketListener } from './domSocket';
import { routeFrame, type InboundHost } from './inbound';
import { attach, detach } from './platform';
import type { WebSocketLike } from './types';

/** What a connection reports to its owner (the client); inbound frames go to it through the frame router. */
export interface ConnectionOwner extends InboundHost {
  /** The socket is gone. Called exactly once per connection. `hintMs` = server's retry-after. */
  _closed(c: Connection, code: number, reason: string, hintMs?: number): void;
}

/**
 * One socket, from upgrade to close. Once it reports `closed` (or is killed) it
 * detaches from the socket, so a stale socket's late events can never reach the client.
 * Liveness is a counter bumped per inbound frame and read by a periodic check: no
 * per-frame timer and no per-frame clock read. The platform attaches the socket's
 * events (platform.ts): an idle connection holds at most one closure.
 */
export class Connection implements SocketListener {
  /** Inbound frames so far. */
  _rx = 0;
  /** `_rx` at the last `_silentFor`; unset until the first (on the welcome, itself a frame). */
  _seenRx?: number;
  /** When `_silentFor` last saw a frame; until the welcome (the first), when the socket was made (the client's token renewal counts from it). */
  _lastRxAt: number;
  /** The server's retry-after of a refused upgrade (platform.ts sets it: Node's `ws` only). */
  declare _hintMs?: number;
  /** The socket error's message, set only if one happens (no field on a healthy connection). */
  declare _err?: string;
  /** The socket while attached; null once closed or killed. */
  _ws: WebSocket | null;
  _sock: WebSocket;
  /** Sent on open, then forgotten. */
  _hello: string | null;
  _owner: ConnectionOwner;

  constructor(Ctor: WebSocketLike, url: string, hello: string, now: number, owner: ConnectionOwner) {
    // The client's own view of it: handlers and fields it sets are those of a DOM WebSocket.
    this._ws = this._sock = new Ctor(url) as unknown as WebSocket;
    this._hello = hello;
    this._lastRxAt = now;
    this._owner = owner;
    attach(this._sock, this);
  }

  _onOpen(): void {
    this._sock.send(this._hello!);
    this._hello = null;
  }

  _onMessage(data: unknown): void {
    this._rx++;
    routeFrame(this._owner, data);
  }

  _onClose(code: number, reason: string): void {
    // A socket that failed closes with no reason: the error's message (Node's ws gives
    // one: ECONNREFUSED, a TLS failure) is the only account of why.
    this._finish(code || 1006, reason || this._err || '');
  }

  /** An error without a close happens in some environments; closing makes the close event certain. */
  _onError(e?: { message?: string }): void {
    this._err = e?.message;
    safe(() => this._sock.close());
  }

  _finish(code: number, reason: string): void {
    if (!this._ws) return;
    this._ws = null;
    detach(this._sock);
    this._owner._closed(this, code, reason, this._hintMs);
  }

  /**
   * Only an OPEN socket may send (a CONNECTING one throws; a CLOSING one drops silently):
   * false when nothing was written, so a publish is not taken for sent.
   */
  _send(text: string): boolean | undefined {
    return this._ws?.readyState == 1 && (this._ws.send(text), true);
  }

  /** True when nothing arrived for `timeoutMs` before `now` (as seen by successive checks). */
  _silentFor(now: number, timeoutMs: number): boolean {
    // A wall clock stepped back (NTP, a restored VM) restarts the count from now, else
    // a socket dying then would be declared dead only once the clock caught up.
    if (this._rx != this._seenRx || now < this._lastRxAt) {
      this._seenRx = this._rx;
      this._lastRxAt = now;
    }
    return now - this._lastRxAt >= timeoutMs;
  }

  /** Starts a clean close; `closed` follows when the socket confirms (or `_kill` forces it). */
  _close(code: number, reason: string): void {
    const sock = this._sock;
    // `ws` and browsers refuse reasons over 123 bytes (then the code alone still tells the
    // server why) and browsers refuse 1001 (then close plainly).
    if (this._ws && !safe(() => sock.close(code, reason)) && !safe(() => sock.close(code))) safe(() => sock.close());
  }

  /** Tears the socket down at once without waiting for a close handshake. */
  _kill(code: number, reason: string): void {
    const sock = this._sock as WebSocket & { terminate?: () => void };
    if (!this._ws) return;
    this._finish(code, reason);
    safe(() => (sock.terminate ? sock.terminate() : sock.close(code >= 4000 ? code : 1000, reason)));
  }
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
