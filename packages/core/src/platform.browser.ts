import type { WebSocketLike } from './types';

// Browser counterpart of platform.ts (see there); same exports, no Node code.

export const defaultWebSocket = (): WebSocketLike => globalThis.WebSocket;

export function watchRefusal(_sock: unknown, _refused: (hintMs: number | undefined, status: number | undefined) => void): void {
  // A browser cannot read a refused upgrade's status or headers.
}
