import type { WebSocketLike } from './types';

// Browser counterpart of platform.ts (see there); same exports, no Node code.

export const defaultWebSocket = (): WebSocketLike => globalThis.WebSocket;
export { attachDom as attach, detachDom as detach } from './domSocket';
