/**
 * A synchronous in-memory WebSocket for unit tests: the test plays the server.
 * Every instance is recorded so tests can assert how many sockets are live.
 */
type Listener = (...args: any[]) => void;

export class FakeSocket {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSING = 2;
  static CLOSED = 3;
  static all: FakeSocket[] = [];

  readyState = 0;
  sent: string[] = [];
  closedWith: { code?: number; reason?: string } | null = null;
  terminated = false;
  onopen: Listener | null = null;
  onmessage: Listener | null = null;
  onclose: Listener | null = null;
  onerror: Listener | null = null;
  private nodeListeners = new Map<string, Listener>();

  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }

  /** Node `ws` style listener, used for 'unexpected-response'. */
  on(event: string, fn: Listener): this {
    this.nodeListeners.set(event, fn);
    return this;
  }

  send(text: string): void {
    if (this.readyState !== 1) throw new Error('send on a socket that is not open');
    this.sent.push(text);
  }

  close(code?: number, reason?: string): void {
    this.closedWith = { code, reason };
    if (this.readyState < 2) this.readyState = 2;
  }

  terminate(): void {
    this.terminated = true;
    this.serverClose(1006, '');
  }

  // ---------------------------------------------------------------- server side
  get live(): boolean {
    return this.readyState < 2;
  }
  frames(type?: string): any[] {
    return this.sent.map((s) => JSON.parse(s)).filter((f) => !type || f.type === type);
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.({ type: 'open' });
  }
  push(frame: unknown): void {
    this.onmessage?.({ type: 'message', data: typeof frame === 'string' ? frame : JSON.stringify(frame) });
  }
  pushRaw(data: unknown): void {
    this.onmessage?.({ type: 'message', data });
  }
  /** The close handshake completes (server- or client-initiated). */
  serverClose(code = 1006, reason = ''): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({ type: 'close', code, reason });
  }
  error(): void {
    this.onerror?.({ type: 'error' });
  }
  refuse(status: number, headers: Record<string, string>): void {
    this.nodeListeners.get('unexpected-response')?.({}, { statusCode: status, headers });
  }
}

export const welcomeFrame = (over: Record<string, unknown> = {}) => ({
  type: 'welcome',
  v: 1,
  session: 's_1',
  heartbeatMs: 15_000,
  limits: { maxFrameBytes: 65_536, maxChannels: 100, publishPerSec: 100, publishBurst: 200 },
  serverTime: 0,
  ...over,
});
