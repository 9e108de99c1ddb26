import type { WebSocket } from 'ws';

/** The TCP socket under a `ws` WebSocket: the parts the server drives directly. */
export interface RawSocket {
  cork(): void;
  uncork(): void;
  pause(): void;
  end(): void;
  destroyed?: boolean;
  /** A write was refused by the high-water mark: 'drain' will follow once the queue is written out. */
  writableNeedDrain?: boolean;
  on(event: 'drain' | 'close', listener: () => void): unknown;
  off(event: 'drain' | 'close', listener: () => void): unknown;
}

/** `ws` keeps it private; the server needs it to cork, pause (faults), half-close and pace a replay. */
export function socketOf(ws: WebSocket): RawSocket | undefined {
  return (ws as unknown as { _socket?: RawSocket })._socket;
}
