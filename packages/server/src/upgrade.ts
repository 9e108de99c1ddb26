import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import { CloseCode, type ErrorCodeName } from '@lifeline/core/protocol';
import type { ServerContext } from './context';
import { Session } from './session/session';
import type { TokenBucket } from './tokenBucket';
import type { OpsLog, RefusalCause } from './opsLog';

/** Writes a bare HTTP response on an upgrade socket and closes it, at once. */
export function refuseUpgrade(socket: Duplex, status: number, text: string, headers: Record<string, string> = {}): void {
  const lines = [`HTTP/1.1 ${status} ${text}`, 'Connection: close', 'Content-Length: 0'];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  socket.on('error', () => undefined);
  socket.end(`${lines.join('\r\n')}\r\n\r\n`, () => socket.destroy());
}

/** `Retry-After` (whole seconds, at least 1) and the exact `x-retry-after-ms` of a refusal. */
export function retryHeaders(ms: number): Record<string, string> {
  return { 'Retry-After': String(Math.max(1, Math.ceil(ms / 1000))), 'x-retry-after-ms': String(Math.ceil(ms)) };
}

/** Routes an upgrade to /v1 or /echo after admission control; refuses the rest fast. `ops` counts the refusals. */
export function handleUpgrade(
  ctx: ServerContext,
  wss: WebSocketServer,
  admission: TokenBucket,
  ops: OpsLog,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): void {
  const path = pathOf(req.url);
  if (path !== '/v1' && !(path === '/echo' && ctx.opts.echo)) return refuseUpgrade(socket, 404, 'Not Found');
  // Draining, or full (checked before admission: a refusal for being full must not spend
  // an admission token): try again in a second.
  if (ctx.stopping || ctx.stats.connections >= ctx.opts.maxConnections) {
    ctx.stats.handshakesRefused++;
    ops.refusal(ctx.stopping ? 'draining' : 'max-connections');
    return refuseUpgrade(socket, 503, 'Service Unavailable', retryHeaders(1000));
  }
  const wait = admission.take();
  if (wait > 0) {
    ctx.stats.handshakesRefused++;
    ops.refusal('admission');
    return refuseUpgrade(socket, 503, 'Service Unavailable', retryHeaders(Number.isFinite(wait) ? wait : 1000));
  }
  // ws answers a malformed upgrade (bad key, version) with 400 itself and never calls back.
  wss.handleUpgrade(req, socket, head, (ws) => {
    ctx.stats.handshakesAccepted++;
    ctx.stats.connections++;
    if (!originAllowed(ctx, req)) {
      ops.refusal('origin');
      ws.on('error', () => undefined);
      ws.once('close', () => ctx.stats.connections--);
      ws.close(CloseCode.ORIGIN_NOT_ALLOWED, 'origin not allowed');
      return;
    }
    if (path === '/echo') acceptEcho(ctx, ws);
    else acceptSession(ctx, ws, req, ops);
  });
}

/** Close codes of a session that count as a refusal in the operator log. */
const CLOSE_CAUSES: ReadonlyMap<number, RefusalCause> = new Map<number, RefusalCause>([
  [CloseCode.BAD_TOKEN, 'bad-token'],
  [CloseCode.TOKEN_EXPIRED, 'expired-token'],
  [CloseCode.ABUSE, 'abuse'],
]);

/**
 * A session whose refusals (closes 4100/4101/4201, RATE_LIMITED error frames) are
 * counted for the operator log: every one of them leaves through close() or error(), so
 * counting here covers them all without each check having to know about the log.
 */
class CountedSession extends Session {
  constructor(ws: WebSocket, req: IncomingMessage, ctx: ServerContext, private readonly ops: OpsLog) {
    super(ws, req, ctx);
  }

  override close(code: number, reason: string): void {
    const cause = CLOSE_CAUSES.get(code);
    if (cause !== undefined && this.state !== 'closed' && this.ws.readyState === this.ws.OPEN) this.ops.refusal(cause);
    super.close(code, reason);
  }

  override error(code: ErrorCodeName, message: string, about?: { ref?: number; channel?: string; retryAfterMs?: number }): void {
    if (code === 'RATE_LIMITED') this.ops.refusal('rate-limited');
    super.error(code, message, about);
  }
}

/**
 * The allow-list guards against pages on other sites opening sockets through a visitor's
 * browser, and a browser always sends `Origin` on an upgrade (scripts cannot remove it).
 * A request without one is from a non-browser client (a backend, Node's `ws`), which
 * could send any Origin it liked anyway: refusing it (4001, as before) stopped no attack
 * and broke backend subscribers. Same rule as for `POST /v1/publish`.
 */
export function originAllowed(ctx: ServerContext, req: IncomingMessage): boolean {
  const allowed = ctx.opts.allowedOrigins;
  const origin = req.headers.origin;
  return !allowed || origin === undefined || allowed.includes(origin);
}

function acceptSession(ctx: ServerContext, ws: WebSocket, req: IncomingMessage, ops: OpsLog): void {
  const session: Session = new CountedSession(ws, req, ctx, ops);
  ctx.sessions.add(session);
  ws.once('close', () => {
    ctx.sessions.delete(session);
    ctx.stats.connections--;
    const done: Promise<void> = session.cleanup().finally(() => ctx.cleanups.delete(done));
    ctx.cleanups.add(done);
  });
}

/** Echo sockets whose reads are paused by the stall fault. */
export const stalledEcho = new WeakSet<WebSocket>();

function acceptEcho(ctx: ServerContext, ws: WebSocket): void {
  ctx.echoSockets.add(ws);
  ws.on('error', () => undefined);
  ws.on('message', (data, isBinary) => {
    if (stalledEcho.has(ws)) return;
    const send = (): void => {
      if (ws.readyState !== ws.OPEN || stalledEcho.has(ws)) return;
      ws.send(data, { binary: isBinary });
      // A peer that sends and never reads had every echo queued in server memory, unbounded.
      if (ws.bufferedAmount > ctx.opts.maxBufferedBytes) ws.close(CloseCode.TRY_AGAIN_LATER, 'slow consumer; retry-after-ms=1000');
    };
    const delay = ctx.faults.delayMs;
    if (delay > 0) ctx.opts.clock.setTimeout(send, delay);
    else send();
  });
  ws.once('close', () => {
    ctx.echoSockets.delete(ws);
    ctx.stats.connections--;
  });
}

export function pathOf(url: string | undefined): string {
  const raw = url ?? '/';
  const q = raw.indexOf('?');
  return q === -1 ? raw : raw.slice(0, q);
}
