import { WebSocket } from 'ws';

export interface SocketProbe {
  /** A new socket was constructed: one connection attempt. */
  attempt(): void;
  /** The server refused the upgrade (HTTP 503) or closed with 1013. */
  refused(): void;
  /**
   * A socket closed with this code (1006 when it died without a close frame), or
   * `HTTP <status>` when the upgrade was answered with a plain HTTP response: `ws`
   * reports those as 1006 too, and a 503 refusal is not a dropped connection.
   */
  closed?(code: number | string): void;
  /** A socket error (connection refused, reset, unexpected response…). */
  failed?(message: string): void;
}

/**
 * A `ws` WebSocket subclass handed to the client under test. It counts attempts and
 * refusals without the client knowing, and with `serverHint: false` hides the
 * server's hints (drain frames, Retry-After headers, 1013 reasons), so the same
 * client can be measured with and without them.
 */
export function probedWebSocket(probe: SocketProbe, serverHint: boolean): typeof WebSocket {
  return class ProbedWebSocket extends WebSocket {
    /** HTTP status of a refused upgrade, so its close is not counted as a 1006. */
    private httpStatus: number | null = null;

    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      probe.attempt();
    }

    override emit(event: string | symbol, ...args: unknown[]): boolean {
      if (event === 'unexpected-response') {
        const res = args[1] as { statusCode?: number; headers: Record<string, unknown> } | undefined;
        if (res?.statusCode !== undefined) this.httpStatus = res.statusCode;
        if (res?.statusCode === 503) probe.refused();
        if (!serverHint && res) {
          delete res.headers['retry-after'];
          delete res.headers['x-retry-after-ms'];
        }
      } else if (event === 'close') {
        probe.closed?.(this.httpStatus === null ? (args[0] as number) : `HTTP ${this.httpStatus}`);
        if (args[0] === 1013) probe.refused();
        if (!serverHint && args[0] === 1013) args[1] = Buffer.alloc(0);
      } else if (event === 'error') {
        probe.failed?.(String((args[0] as Error | undefined)?.message ?? args[0]).replace(/\d+\.\d+\.\d+\.\d+:\d+/g, 'HOST'));
      } else if (event === 'message' && !serverHint && isDrainFrame(args[0])) {
        return false;
      }
      return super.emit(event, ...args);
    }
  } as unknown as typeof WebSocket;
}

function isDrainFrame(data: unknown): boolean {
  const text = Buffer.isBuffer(data) ? data.toString('utf8', 0, 24) : typeof data === 'string' ? data.slice(0, 24) : '';
  return text.includes('"type":"drain"');
}
