/** What a socket reports to (a connection). */
export interface SocketListener {
  _onOpen(): void;
  _onMessage(data: unknown): void;
  _onClose(code: number, reason: string): void;
  /** `e`: Node's `ws` passes the Error; a DOM error event has no message. */
  _onError(e?: { message?: string }): void;
  /**
   * An upgrade refused with an HTTP status (Node's `ws` only, so platform.ts does it and
   * browser bundles carry none of it): the hint from its retry-after headers, then a kill.
   */
  _hintMs?: number;
  _kill(code: number, reason: string): void;
}

/** DOM-style sockets: one handler for all four events, dispatched on the event's type. */
export function attachDom(sock: WebSocket, to: SocketListener): void {
  sock.onopen = sock.onmessage = sock.onclose = sock.onerror = (ev: Event) => {
    const t = ev.type;
    if (t == 'message') to._onMessage((ev as MessageEvent).data);
    else if (t == 'open') to._onOpen();
    else if (t == 'close') to._onClose((ev as CloseEvent).code, (ev as CloseEvent).reason);
    else to._onError();
  };
}

export function detachDom(sock: WebSocket): void {
  sock.onopen = sock.onmessage = sock.onclose = null;
  // Keep a no-op error handler: Node's `ws` throws on an unhandled 'error'.
  sock.onerror = noop;
}

export const noop = () => {};
