import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { CloseCode } from '@lifeline/core/protocol';
import { memoryBroker } from './broker/memoryBroker';
import { ChannelHub } from './channelHub';
import { MAX_TIMER_MS, systemClock } from './clock';
import type { ServerContext } from './context';
import { createFaults, type FaultHooks } from './faults';
import { startHeartbeat } from './heartbeat';
import { handleHttp, httpRefusal, type HttpBuckets } from './httpRoutes';
import { OpsLog } from './opsLog';
import { onListenerError } from './listenerErrors';
import { resolveOptions, type ServerOptions } from './options';
import { PresenceGrace } from './presenceGrace';
import { StatsCounter, type ServerStats } from './stats';
import { liveGauges } from './liveGauges';
import { SpreadingBucket } from './refusalSpread';
import { KeyedBuckets } from './tokenBucket';
import { InFlight } from './inFlight';
import { HISTORY_IN_FLIGHT, HISTORY_PER_CALLER } from './historyRoute';
import { checkTlsPair } from './tlsPair';
import { handleUpgrade } from './upgrade';
import { drainAll, logDrainStart, reconnectWindowMs } from './drainClose';
import { holdPresence, warnIfDeadlineCutsHold } from './session/presenceHold';

/** A running Lifeline server. */
export interface LifelineServer {
  /** Base WebSocket URL, e.g. `ws://127.0.0.1:PORT`; clients connect to `${url}/v1`, echo to `${url}/echo` (when the `echo` option is on). */
  url: string;
  /** Base HTTP URL for `/healthz` (readiness), `/livez` (liveness), `/metrics` (Prometheus), `POST /v1/publish` and `GET /v1/history`. */
  httpUrl: string;
  /** The port it listens on (the one picked when `port` was 0). */
  port: number;
  /**
   * Stops at once: closes every socket with 1001 (terminating those that have not
   * finished the close handshake within 1 s), stops listening, closes an owned broker
   * (never one passed in). An HTTP request whose body has arrived and whose answer is
   * being worked out (a publish waiting on the broker) gets up to 1 s more to be answered;
   * other HTTP connections are cut. Idempotent.
   */
  close(): Promise<void>;
  /**
   * Planned shutdown (PROTOCOL.md §13): refuse new upgrades, send `drain` to every
   * client, close them with 1012, then close the server once they are gone or after
   * `timeoutMs`. With a broker passed in (it may be shared), "gone" includes their presence
   * entries, kept the reconnect window + `presenceGraceMs` (at most 30 s of it) so members
   * that move to another node do not leave and join again (within the same `timeoutMs`;
   * a `warn` at the start when `timeoutMs` is shorter than that hold).
   * HTTP requests in progress (a `POST /v1/publish` whose body is still arriving) are
   * answered before the server stops, within the same `timeoutMs`; answers given while
   * draining carry `Connection: close`, and idle keep-alive connections are closed.
   * `timeoutMs`: default `drainTimeoutMs`; `Infinity` or >= 2^31 ms: no deadline; negative or
   * NaN rejects with a TypeError before anything stops. During a close or another
   * drain (its delay included) it is `close()`.
   *
   * `delayMs` (default `drainDelayMs`, 0: none): the pre-drain delay. For that long first
   * (on the server's `clock`), `/healthz` answers 503 and `/metrics` `lifeline_draining 1`
   * while everything is still served (new upgrades, HTTP publishes, history; HTTP answers
   * carry `Connection: close`), so a load balancer polling readiness stops sending new
   * work; then the drain above runs, `timeoutMs` counted from then. `Infinity` or >= 2^31 ms:
   * the drain proper never starts on its own. `close()` during the delay stops at once (the
   * drain then resolves with it). Negative or NaN rejects with a TypeError.
   */
  drain(opts?: { timeoutMs?: number; delayMs?: number }): Promise<void>;
  /** A copy of the server's counters. */
  stats(): ServerStats;
  /** Test-only fault hooks; present only with `faults: true`. */
  faults?: FaultHooks;
}

/** How long `close()` lets an HTTP answer being worked out finish before cutting it. */
const CLOSE_HTTP_GRACE_MS = 1000;

/** Pending connections the kernel may queue for accept. */
const LISTEN_BACKLOG = 4096;

/** Headers must arrive within this (or `httpTimeoutMs` when smaller): a request line and headers take one round trip. */
const HEADERS_TIMEOUT_MS = 10_000;

/**
 * Node's request timeouts for `httpTimeoutMs`. Node checks them only every
 * `connectionsCheckingInterval` (30 s by default, which would stretch a 10 s bound to up
 * to 40 s), hence a check every quarter of the headers bound, at most every second.
 * Upgraded sockets leave Node's request tracking, so WebSockets are not cut.
 */
export function httpTimeouts(httpTimeoutMs: number): { headersTimeout: number; requestTimeout: number; connectionsCheckingInterval: number } {
  // Node reads 0 as "off" and wants integers.
  if (!Number.isFinite(httpTimeoutMs)) return { headersTimeout: 0, requestTimeout: 0, connectionsCheckingInterval: 30_000 };
  const requestTimeout = Math.max(1, Math.ceil(httpTimeoutMs));
  const headersTimeout = Math.min(HEADERS_TIMEOUT_MS, requestTimeout);
  return { headersTimeout, requestTimeout, connectionsCheckingInterval: Math.max(1, Math.min(1000, Math.ceil(headersTimeout / 4))) };
}

/**
 * Starts the reference echo + pub/sub server. Resolves once it is listening.
 * Rejects with a TypeError for an invalid numeric option, or for a `tls` certificate or
 * key that cannot be read or do not belong together (naming `tls.cert` or `tls.key`),
 * before anything starts; or with the listen error (e.g. `EADDRINUSE`).
 */
export async function createServer(options: ServerOptions = {}): Promise<LifelineServer> {
  const clock = options.clock ?? systemClock;
  const opts = resolveOptions(options, clock);
  if (options.tls) checkTlsPair(options.tls.cert, options.tls.key, { cert: { name: 'tls.cert' }, key: { name: 'tls.key' } });
  const ownsBroker = options.broker === undefined || options.ownsBroker === true;
  const broker = options.broker ?? memoryBroker({ retention: opts.retention, clock });
  const ctx: ServerContext = {
    opts,
    broker,
    hub: new ChannelHub(broker),
    stats: new StatsCounter(),
    grace: new PresenceGrace(broker, clock, opts.presenceGraceMs),
    sessions: new Set(),
    echoSockets: new Set(),
    cleanups: new Set(),
    faults: { delayMs: 0 },
    stopping: false,
    notReady: false,
    presenceTtlMs: Math.max(30_000, opts.heartbeatMs * 3, opts.presenceGraceMs * 2),
  };
  const faults = opts.faults ? createFaults(ctx) : undefined;
  // Burst = one second's worth, but at least one handshake (a rate below 1/s must still admit someone).
  const admission = new SpreadingBucket(opts.maxHandshakesPerSec, Math.max(1, opts.maxHandshakesPerSec), clock);
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxFrameBytes, perMessageDeflate: false });
  // One bucket per caller for each: history reads never use up a caller's publishes.
  const httpBuckets: HttpBuckets = {
    publish: new KeyedBuckets(opts.httpPublishPerSec, opts.httpPublishBurst, clock),
    history: new KeyedBuckets(opts.httpPublishPerSec, opts.httpPublishBurst, clock),
    historyInFlight: new InFlight(HISTORY_PER_CALLER, HISTORY_IN_FLIGHT),
  };
  // Refusals and heartbeat terminations come in crowds: counted and said every 10 s.
  const ops = new OpsLog(opts.logger, clock);
  // HTTP requests not answered yet: a drain lets them finish instead of cutting their
  // connections (a publish whose body was still arriving got ECONNRESET, and its backend
  // could not tell whether it was stored).
  const httpPending = new Map<ServerResponse, IncomingMessage>();
  const httpIdleWaiters: (() => void)[] = [];
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    httpPending.set(res, req);
    res.once('close', () => {
      httpPending.delete(res);
      for (const wake of httpIdleWaiters.splice(0)) wake();
    });
    res.once('finish', () => {
      const cause = httpRefusal(ctx, req, res);
      if (cause) ops.refusal(cause);
    });
    // Answered, but the connection is not kept for another request on a node going away
    // (from the pre-drain delay on: the caller's next connection goes where the balancer sends it).
    if (ctx.notReady) res.setHeader('connection', 'close');
    handleHttp(ctx, faults, httpBuckets, req, res);
  };
  /** Resolves once no request that `counts` is unanswered (at once when none is). */
  const httpSettled = (counts: (req: IncomingMessage, res: ServerResponse) => boolean): Promise<void> =>
    new Promise((resolve) => {
      const check = (): void => {
        for (const [res, req] of httpPending) if (counts(req, res)) return void httpIdleWaiters.push(check);
        resolve();
      };
      check();
    });
  const timeouts = httpTimeouts(opts.httpTimeoutMs);
  const http: HttpServer = options.tls
    ? createHttpsServer({ ...timeouts, cert: options.tls.cert, key: options.tls.key }, onRequest)
    : createHttpServer(timeouts, onRequest);
  http.on('upgrade', (req, socket, head) => handleUpgrade(ctx, wss, admission, ops, req, socket, head));
  http.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    // A listener replaces Node's own answers; a client cut for being slow (httpTimeoutMs) is still told why.
    // Node's own rule: no response of the stalled request started yet (on a keep-alive
    // connection an earlier response may have been written: bytesWritten is not it).
    const raw = socket as Duplex & { _httpMessage?: { headersSent?: boolean } | null };
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT' && raw.writable && !raw._httpMessage?.headersSent) {
      raw.write('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    }
    socket.destroy();
  });

  // Before listening: a broker that has already noticed an outage says so as the listener is added.
  const offStatus = broker.onStatus?.((change) => {
    if (change.available) opts.logger.info(`broker available again after ${change.downMs} ms`, { downMs: change.downMs });
    else opts.logger.warn(`broker unavailable: ${change.reason}; publishes and subscribes get BROKER_UNAVAILABLE until it recovers`);
  });
  const listenFailed = (): void => offStatus?.();
  await new Promise<void>((resolve, reject) => {
    http.once('error', listenFailed);
    http.once('error', reject);
    // A deep accept queue: Node's default (511) overflowed in a reconnect wave while the
    // event loop was busy, and each dropped SYN came back 1 s later (storm, drain 10k:
    // 16,000 overflows, arrivals in 1 s bursts). The kernel caps it at somaxconn.
    http.listen({ port: opts.port, host: opts.host, backlog: LISTEN_BACKLOG }, () => {
      http.off('error', reject);
      http.off('error', listenFailed);
      // After listening, an unhandled 'error' would crash the process. Accept failures
      // (EMFILE/ENFILE) are counted and said at most once per OPS_LOG_INTERVAL_MS: Node
      // reports one per attempt. It rarely reports them at all, though: libuv keeps a spare
      // descriptor for EMFILE/ENFILE, and with it accepts and closes the waiting connections
      // itself, telling nobody (README: "Out of file descriptors").
      http.on('error', (err: NodeJS.ErrnoException) => onListenerError(ctx, ops, err));
      resolve();
    });
  });
  const stopHeartbeat = startHeartbeat(ctx, ops);
  const port = (http.address() as AddressInfo).port;
  const hostForUrl = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  const secure = options.tls !== undefined;
  const url = `${secure ? 'wss' : 'ws'}://${hostForUrl}:${port}`;
  const httpUrl = `${secure ? 'https' : 'http'}://${hostForUrl}:${port}`;
  if (opts.authSecret === undefined) {
    opts.logger.warn('no auth secret: this server is OPEN, every client may subscribe and publish anywhere');
  } else if (opts.echo) {
    opts.logger.warn('echo: true with an auth secret: /echo takes no token, anyone may open sockets on it');
  }

  let closing: Promise<void> | undefined;
  const allSockets = () => [...[...ctx.sessions].map((s) => s.ws), ...ctx.echoSockets];
  // Shutdown waits on real time, not the injected clock: a test on fake time must still be able to close.
  // A timeout no timer can hold (Infinity, >= 2^31 ms) means no deadline: Node fires such a
  // timer after 1 ms, so drain({ timeoutMs: Infinity }) cut every client at once.
  const waitForEmpty = (timeoutMs: number): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        clearInterval(poll);
        clearTimeout(timer);
        resolve();
      };
      const poll = setInterval(() => ctx.stats.connections === 0 && done(), 10);
      const timer = timeoutMs < MAX_TIMER_MS ? setTimeout(done, timeoutMs) : undefined;
      if (ctx.stats.connections === 0) done();
    });

  /** Waits for `done`, at most `ms` of real time (no bound for a timeout no timer can hold). */
  const waitUntil = (done: Promise<void>, ms: number): Promise<void> => {
    if (ms >= MAX_TIMER_MS) return done;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, ms))));
    return Promise.race([done, late]).finally(() => clearTimeout(timer));
  };

  /** Ends the pre-drain delay early (a close); set while one runs. */
  let endDelay: (() => void) | undefined;
  /**
   * The pre-drain delay: not ready, still serving everything, for `ms` on the server's clock.
   * (Without it a drain with nobody to hold ended in milliseconds: a balancer polling
   * /healthz every few seconds never saw the 503, and callers got connection refused.)
   */
  const notReadyFor = (ms: number): Promise<void> => {
    ctx.notReady = true;
    opts.logger.info(`drain: not ready for ${ms} ms before draining (/healthz 503; upgrades and HTTP still served)`, { delayMs: ms });
    return new Promise<void>((resolve) => {
      const end = (): void => {
        if (timer !== undefined) clock.clearTimeout(timer);
        endDelay = undefined;
        resolve();
      };
      // A delay no timer can hold waits for close() (Node would fire such a timer after 1 ms).
      const timer = ms < MAX_TIMER_MS ? clock.setTimeout(end, ms) : undefined;
      endDelay = end;
    });
  };

  /**
   * `graceMs`: how long sockets get to finish the close handshake before they are cut.
   * `httpMs`: how long unanswered HTTP requests get before their connections are cut;
   * `everyRequest`: all of them (a drain), else only those whose body has arrived and whose
   * answer is not written yet (cheap to wait for, and the one a backend cannot retry blind).
   */
  const shutdown = (graceMs: number, httpMs = CLOSE_HTTP_GRACE_MS, everyRequest = false): Promise<void> => {
    closing ??= (async () => {
      ctx.stopping = true;
      ctx.notReady = true;
      endDelay?.();
      stopHeartbeat();
      for (const ws of allSockets()) ws.close(CloseCode.GOING_AWAY, 'server closing');
      const listening = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeIdleConnections();
      await waitForEmpty(graceMs);
      for (const ws of allSockets()) ws.terminate();
      await waitForEmpty(1000); // 'close' events of terminated sockets arrive on a later tick
      http.closeIdleConnections();
      const waitsFor = (req: IncomingMessage, res: ServerResponse): boolean => everyRequest || (req.complete && !res.headersSent);
      await waitUntil(httpSettled(waitsFor), httpMs);
      const cut = [...httpPending].filter(([res, req]) => waitsFor(req, res)).length;
      if (cut > 0) opts.logger.warn(`${everyRequest ? 'drain' : 'close'}: ${cut} HTTP request(s) still unanswered after ${Math.max(0, Math.round(httpMs))} ms; cutting them`, { requests: cut });
      http.closeAllConnections();
      ops.stop();
      await listening;
      await Promise.allSettled([...ctx.cleanups]);
      await ctx.grace.flushAll();
      wss.close();
      offStatus?.();
      if (ownsBroker) await broker.close();
    })();
    return closing;
  };
  const close = (): Promise<void> => shutdown(1000);

  const drain = async (drainOpts: { timeoutMs?: number; delayMs?: number } = {}): Promise<void> => {
    const timeoutMs = drainOpts.timeoutMs ?? opts.drainTimeoutMs;
    if (typeof timeoutMs !== 'number' || Number.isNaN(timeoutMs) || timeoutMs < 0) {
      // Checked before anything stops: a bad value used to drain and cut every client at once.
      throw new TypeError(`drain: timeoutMs must be a non-negative number of ms (Infinity: no deadline), got ${String(drainOpts.timeoutMs)}`);
    }
    const delayMs = drainOpts.delayMs ?? opts.drainDelayMs;
    if (typeof delayMs !== 'number' || Number.isNaN(delayMs) || delayMs < 0) {
      throw new TypeError(`drain: delayMs must be a non-negative number of ms, got ${String(drainOpts.delayMs)}`);
    }
    if (ctx.stopping || ctx.notReady) return close();
    if (delayMs > 0) {
      await notReadyFor(delayMs);
      // close() came during the delay: it is the one stopping the server.
      if (ctx.stopping) return close();
    }
    ctx.stopping = true;
    ctx.notReady = true;
    const sessions = [...ctx.sessions];
    const windowMs = reconnectWindowMs(sessions.length, opts.maxHandshakesPerSec);
    const startedAt = performance.now();
    logDrainStart(opts.logger, sessions.length, windowMs, opts.maxHandshakesPerSec, timeoutMs);
    // Answers still to come go out with `Connection: close`; idle keep-alive connections are
    // closed (requests in progress go on: shutdown waits for them within the deadline).
    for (const res of httpPending.keys()) if (!res.headersSent) res.setHeader('connection', 'close');
    http.closeIdleConnections();
    // Only a broker passed in (perhaps shared) has other nodes to hold presence for: one this
    // server owns ends with it, so storing its entries again would be work for nobody.
    const holdsPresence = !ownsBroker && opts.presenceGraceMs < MAX_TIMER_MS;
    if (holdsPresence) {
      const members = sessions.filter((s) => s.presence.size > 0).length;
      if (members > 0) {
        const holdMs = ctx.grace.delayMs(windowMs);
        opts.logger.info(`drain: holding presence of ${members} member(s) for ${holdMs} ms (reconnect window + grace)`, { members, holdMs });
      }
      warnIfDeadlineCutsHold(opts.logger, ctx.grace, sessions, windowMs, timeoutMs);
      // A client may take the whole window to come back (on this node or another): its
      // presence is held that long on top of the grace, so the move does not flap it.
      // Before any drain frame goes out, so no client can have entered elsewhere yet.
      for (const s of sessions) holdPresence(s, windowMs);
    }
    drainAll(sessions, windowMs);
    for (const ws of ctx.echoSockets) ws.close(CloseCode.SERVICE_RESTART, 'drain');
    await waitForEmpty(timeoutMs);
    const goneMs = Math.round(performance.now() - startedAt);
    const timedOut = ctx.stats.connections > 0;
    // Said, so an operator can tell a drain that timed out from one that emptied.
    if (timedOut) {
      opts.logger.warn(`drain: ${ctx.stats.connections} connection(s) still open after ${timeoutMs} ms; terminating them`, {
        connections: ctx.stats.connections, timeoutMs,
      });
    } else if (holdsPresence) {
      // A broker passed in may be shared with other nodes, where the drained clients enter
      // presence again: their entries here go on their grace timers (grace + reconnect
      // window), not all at once in shutdown, which made every member leave and join again.
      // (An endless grace would hold the drain to its deadline for nothing: not waited for.)
      // (Closed sessions schedule their removals in cleanup, which may still be running.)
      const idle = Promise.allSettled([...ctx.cleanups]).then(() => ctx.grace.whenIdle());
      await waitUntil(idle, timeoutMs - (performance.now() - startedAt));
    }
    await shutdown(0, timeoutMs - (performance.now() - startedAt), true);
    if (!timedOut) {
      const stoppedMs = Math.round(performance.now() - startedAt);
      opts.logger.info(`drain complete: all gone in ${goneMs} ms, stopped in ${stoppedMs} ms`, {
        sessions: sessions.length, goneMs, stoppedMs,
      });
    }
  };

  const server: LifelineServer = { url, httpUrl, port, close, drain, stats: () => ctx.stats.snapshot(liveGauges(ctx)) };
  if (faults) server.faults = faults;
  return server;
}
