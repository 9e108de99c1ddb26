import WebSocket from 'ws';
import { waitFor } from './waitFor';

export type Frame = Record<string, any> & { type: string };

/** A raw `ws` test client that records every frame and its close. */
export class TestClient {
  readonly frames: Frame[] = [];
  closed: { code: number; reason: string } | undefined;
  private refSeq = 0;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      try {
        this.frames.push(JSON.parse(data.toString()));
      } catch {
        this.frames.push({ type: '<unparsable>', raw: data.toString() });
      }
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
    });
    ws.on('error', () => undefined);
  }

  static async open(url: string, opts: WebSocket.ClientOptions = {}): Promise<TestClient> {
    const ws = new WebSocket(url, opts);
    const client = new TestClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    return client;
  }

  /** Opens /v1 and completes the handshake. */
  static async connect(baseUrl: string, hello: Record<string, unknown> = {}, opts: WebSocket.ClientOptions = {}): Promise<TestClient> {
    const c = await TestClient.open(`${baseUrl}/v1`, opts);
    c.send({ type: 'hello', v: 1, ...hello });
    await c.next('welcome');
    return c;
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  nextRef(): number {
    return ++this.refSeq;
  }

  /** Waits for the first frame (counting from `from`) matching `type` and `pred`. */
  async next(type: string, pred: (f: Frame) => boolean = () => true, from = 0, timeoutMs?: number): Promise<Frame> {
    return waitFor(() => this.frames.slice(from).find((f) => f.type === type && pred(f)), `a "${type}" frame`, timeoutMs);
  }

  /** Sends a request with a fresh ref and waits for the reply carrying that ref. */
  async request(frame: Record<string, unknown>): Promise<Frame> {
    const ref = this.nextRef();
    const from = this.frames.length;
    this.send({ ...frame, ref });
    return waitFor(() => this.frames.slice(from).find((f) => f.ref === ref), `reply to ${String(frame.type)} #${ref}`);
  }

  subscribe(channel: string, since?: { offset: number; epoch: string }): Promise<Frame> {
    return this.request(since ? { type: 'sub', channel, since } : { type: 'sub', channel });
  }

  publish(channel: string, data: unknown, id: string): Promise<Frame> {
    return this.request({ type: 'pub', channel, data, id });
  }

  msgs(channel: string): Frame[] {
    return this.frames.filter((f) => f.type === 'msg' && f.channel === channel);
  }

  async waitClosed(timeoutMs?: number): Promise<{ code: number; reason: string }> {
    return waitFor(() => this.closed, 'the socket to close', timeoutMs);
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
  }
}

/** 101 when the WebSocket upgrade at `url` is accepted (the socket is then closed), else the HTTP status. */
export const upgradeStatus = (url: string): Promise<number> =>
  TestClient.open(url).then(
    (c) => {
      c.close();
      return 101;
    },
    (err: Error) => Number(/HTTP (\d+)/.exec(err.message)?.[1] ?? NaN),
  );
