import type { WebSocket } from 'ws';

/** The TCP socket under a `ws` WebSocket: the parts the server drives directly. */
export interface RawSocket {
  cork(): void;
  uncork(): void;
  pause(): void;
  end(): void;
  destroyed?: boolean;
}

/** `ws` keeps it private; the server needs it to cork, pause (faults) and half-close. */
export function socketOf(ws: WebSocket): RawSocket | undefined {
  return (ws as unknown as { _socket?: RawSocket })._socket;
}
