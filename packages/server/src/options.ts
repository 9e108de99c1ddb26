import type { Logger } from '@lifeline/core';
import type { Broker } from './broker/types';
import type { Clock } from './clock';
import { DEFAULT_REPLAY_STALL_MS, defaultMaxReplayBytes } from './replayBudget';
import { checkKnownKeys } from './broker/optionKeys';

export type { Logger };

/**
 * Options of {@link createServer}. Every field is optional, and `undefined` is the same as
 * leaving it out. A numeric option that is not a number, NaN, negative, or 0 where a
 * positive value is needed makes createServer throw a TypeError, as does a key that is not
 * one of these (naming the closest one: `authSecert` ran an open server).
 */
export interface ServerOptions {
  /** TCP port; 0 picks a free one. @default 0 (the CLI defaults to 8080) */
  port?: number | undefined;
  /**
   * Interface to bind. An empty (or blank) string is refused with a TypeError: Node reads
   * `''` as "every interface", the opposite of what a blank value (an unset `$HOST`)
   * usually means. Say `'0.0.0.0'` (every IPv4 interface) or `'::'` (every interface,
   * IPv6 and, on most systems, IPv4) to accept remote clients. @default '127.0.0.1' (loopback only)
   */
  host?: string | undefined;
  /** Where channel logs live. @default memoryBroker({ retention }) */
  broker?: Broker | undefined;
  /**
   * `broker` belongs to this server alone, as the default one does: `close()` and `drain()`
   * close it, and a drain holds no presence for other nodes (none share it). For a memory
   * broker built with options of its own (the CLI's `--dedupe-window`).
   * @default false (a broker passed in may be shared, and is the caller's to close)
   */
  ownsBroker?: boolean | undefined;
  /** Messages retained per channel, a count (used for the default memory broker only). @default 1000 */
  retention?: number | undefined;
  /**
   * Interval between server pings, ms; a peer silent for two intervals is terminated. Sent
   * in `welcome`: clients derive their own liveness timeout from it (× 2 + 1000).
   * @default 15000
   */
  heartbeatMs?: number | undefined;
  /**
   * Admission control: WebSocket upgrades per second (burst = one second's worth, at least
   * 1); beyond it an upgrade is refused with HTTP 503 and a retry-after. Also sizes the
   * reconnect window `drain()` announces. @default Infinity (off)
   */
  maxHandshakesPerSec?: number | undefined;
  /**
   * Open WebSocket connections (`/v1` and `/echo` together) at once; an upgrade beyond
   * it is refused with HTTP 503 and `Retry-After: 1`, like admission control. Without a
   * cap every socket a client opens holds a file descriptor until it times out (4200
   * after `handshakeTimeoutMs` on `/v1`; never on `/echo`). @default Infinity (off)
   */
  maxConnections?: number | undefined;
  /** HS256 secret for tokens. Without it the server is open (and says so). @default undefined */
  authSecret?: string | undefined;
  /**
   * Serve the `/echo` endpoint. It has no handshake, hence no token: with `authSecret` set it
   * would be the one endpoint anyone could hold sockets on, so it is off there unless asked
   * for (and then unauthenticated). When off, `/echo` answers 404 like any unknown path.
   * @default true without `authSecret`, false with it
   */
  echo?: boolean | undefined;
  /**
   * Serve `GET /metrics`: the counters of `stats()` in the Prometheus text format (counts
   * only: no channel name, user or token). Like `/healthz` it takes no token, so anyone who
   * can reach the port can read it; turn it off (or keep the port private) where the
   * connection and frame counts should not be public. When off, `/metrics` answers 404
   * like any unknown path. A non-boolean is a TypeError. @default true
   */
  metrics?: boolean | undefined;
  /**
   * Allowed `Origin` values (exact match, e.g. `'https://app.example'`) for WebSocket
   * upgrades, `POST /v1/publish` and `GET /v1/history`. A request whose `Origin` is not listed is refused:
   * an upgrade is accepted and closed with 4001, a publish gets 403. A request without
   * an `Origin` header is allowed: browsers always send one on WebSocket upgrades and
   * cross-origin POSTs, so only non-browser clients (backends, Node's `ws`) omit it, and
   * the check exists to stop pages on other sites using a visitor's browser. (A literal
   * `Origin: null`, from sandboxed or `file:` pages, is refused unless `'null'` is listed.)
   * An empty list admits no browser page. This is not authentication: use `authSecret` for that.
   * The listed origins also get CORS on `GET /v1/history` and `POST /v1/publish` (echoed
   * `Access-Control-Allow-Origin`, preflights answered 204: PROTOCOL.md §9.2), so their pages
   * can read the answers with `fetch()`; without a list no origin gets CORS. @default undefined (any origin)
   */
  allowedOrigins?: string[] | undefined;
  /**
   * PEM certificate (chain) and its unencrypted private key: serve wss:// and https://.
   * Checked before anything starts: a certificate or key that cannot be read as one, the
   * two swapped, or a key of another certificate rejects with a TypeError naming
   * `tls.cert` or `tls.key`. @default undefined (plain ws/http)
   */
  tls?: { cert: string | Buffer; key: string | Buffer } | undefined;
  /**
   * Largest accepted frame, bytes; larger closes with 1009. Also the `POST /v1/publish`
   * body limit (413), and sent in `welcome` so clients refuse larger publishes themselves.
   * @default 65536
   */
  maxFrameBytes?: number | undefined;
  /**
   * Channels one connection may subscribe to at once, and separately channels it may be
   * present on; one more is refused with `TOO_MANY_CHANNELS`. @default 100
   */
  maxChannels?: number | undefined;
  /**
   * Sustained publishes per second per connection (token bucket, sent in `welcome`); above
   * it a publish is refused with `RATE_LIMITED` and a `retryAfterMs`. `presence.enter` has
   * a separate bucket of the same rate and burst. @default 100
   */
  publishPerSec?: number | undefined;
  /** Publish burst per connection: the bucket's size, a count (also the presence bucket's). @default 200 */
  publishBurst?: number | undefined;
  /**
   * `POST /v1/publish` per second per token subject (`sub`, else the token itself), or per
   * remote address on an open server; above it HTTP 429 `RATE_LIMITED` with `Retry-After`.
   * Higher than `publishPerSec`: backends are the usual HTTP publishers, one subject for a
   * whole service, while a WebSocket's limit is one browser's. `GET /v1/history` has a
   * separate bucket of the same size (reads never use up publishes). @default 1000
   */
  httpPublishPerSec?: number | undefined;
  /** Burst of each HTTP publish bucket, a count. @default 2000 */
  httpPublishBurst?: number | undefined;
  /**
   * Largest presence `info`, in bytes of its JSON (UTF-8); a larger `presence.enter` is
   * refused with `BAD_FIELD`. Every subscribe reply carries every member's info in one
   * frame: at `maxFrameBytes` each, a few hundred members made that frame larger than
   * `maxBufferedBytes`, and each new subscriber was closed with 1013. @default 4096
   */
  maxPresenceInfoBytes?: number | undefined;
  /**
   * Presence members (distinct clientIds) one channel may hold; an enter of a client not
   * yet present beyond it is refused with `PRESENCE_FULL` (no `retryAfterMs`), a member
   * already present may still update its info. Every `subscribed` reply carries the whole
   * list: at 1,000 members of `maxPresenceInfoBytes` (4 KiB) it is about 4.3 MB, a quarter of
   * `maxBufferedBytes`; unbounded, a list above `maxBufferedBytes` closed every new
   * subscriber with 1013. Exact on the memory broker; on Redis, enters landing at the same
   * moment on several nodes may pass it by a few. `Infinity`: no bound. @default 1000
   */
  maxPresenceMembers?: number | undefined;
  /**
   * A dropped connection's presence is removed only after this many ms (0: at once), so a
   * quick reconnect does not flap. A connection moved by `drain()`: the reconnect window it
   * was given plus this, at most 30 s of it (DRAIN_GRACE_CAP_MS). @default 5000
   */
  presenceGraceMs?: number | undefined;
  /** No `hello` within this many ms closes with 4200. @default 10000 */
  handshakeTimeoutMs?: number | undefined;
  /**
   * Bound on a plain HTTP request (`/healthz`, `POST /v1/publish`, an upgrade's request), ms:
   * its headers must arrive within `min(httpTimeoutMs, 10000)` and all of it within
   * `httpTimeoutMs`, else Node answers 408 and closes the connection (checked about every
   * `min(1 s, headers bound ÷ 4)`). An upgraded WebSocket is no longer a request and is not
   * cut. `Infinity`: Node's checks are off. Node's own defaults (60 s for headers, 300 s per
   * request) let a slow client hold a socket for minutes. @default 30000
   */
  httpTimeoutMs?: number | undefined;
  /**
   * `drain()` terminates whoever is still connected after this many ms (`Infinity`: no
   * deadline), logging how many it cut (`warn`). The CLI's `--drain-timeout-ms`. @default 10000
   */
  drainTimeoutMs?: number | undefined;
  /**
   * Pre-drain delay: `drain()` first reports not ready for this many ms (`/healthz` 503,
   * `lifeline_draining 1`) while still serving everything (new WebSocket upgrades, HTTP
   * publishes and history reads; HTTP answers carry `Connection: close`), so a load balancer
   * that polls readiness takes the node out of rotation before upgrades are refused; then
   * the drain proper runs, its `drainTimeoutMs` counted from then. Timed on `clock`.
   * `Infinity`: the drain proper never starts on its own (only `close()` ends it). `close()`
   * does not wait for it. The CLI's `--drain-delay-ms`. @default 0 (the drain starts at once)
   */
  drainDelayMs?: number | undefined;
  /** A client (on `/v1` or `/echo`) whose unsent buffer exceeds this many bytes is closed with 1013 (slow consumer). @default 16777216 (16 MiB) */
  maxBufferedBytes?: number | undefined;
  /**
   * Bytes of replay pages this node holds at once, all connections together: read from the
   * broker and not yet handed to the kernel (not yet written, or queued on a socket). A
   * connection's replay holds about one page (up to 1 MiB) and its paced socket queue (up to
   * 1 MiB) while its client does not read, so without a node-wide bound 10,000 such
   * connections held ~20 GB. Past it, further page reads wait, first come first served,
   * until a client reads or a connection closes; nothing is dropped or reordered (a
   * `sub` with `since` gets its `subscribed` reply once its first page is read). One page is
   * always let through when nothing is held, so a value below a page still makes progress.
   * `Infinity`: no bound. The CLI's `--max-replay-bytes`.
   * @default an eighth of the heap limit, at most 268435456 (256 MiB)
   */
  maxReplayBytes?: number | undefined;
  /**
   * When `maxReplayBytes` is full and the first page read in line has waited this many ms,
   * of the connections whose replay has handed nothing to the kernel for this long, the one
   * without progress the longest is closed with 1013 (`replay stalled: not read while others
   * wait; retry-after-ms=1000`): clients that never read kept their share until they closed
   * (heartbeats do not cut one that pings), and a few hundred of them stalled every other
   * replay of the node. One per check, and the next only once its bytes are back (or this
   * long after). Progress is seen in steps of a socket buffer (~1 MiB), so a client taking
   * less than that per `replayStallMs` may be closed too, under this pressure only, after
   * every connection stalled longer (the core client reconnects and resumes from its position). Counted in
   * `stats().replayEvictions`. Timed on `clock`, one timer per node, armed only while a read
   * waits. `Infinity`: never. The CLI's `--replay-stall-ms`. @default 10000
   */
  replayStallMs?: number | undefined;
  /** Enables the test-only fault hooks (`server.faults`). Never in production. @default false */
  faults?: boolean | undefined;
  /** Time source for heartbeat, grace, timeouts and token buckets. @default the system clock */
  clock?: Clock | undefined;
  /** Where the server logs. @default silent */
  logger?: Logger | undefined;
}

export interface ResolvedOptions {
  port: number;
  host: string;
  retention: number;
  heartbeatMs: number;
  maxHandshakesPerSec: number;
  maxConnections: number;
  authSecret: string | undefined;
  echo: boolean;
  metrics: boolean;
  allowedOrigins: string[] | undefined;
  maxFrameBytes: number;
  maxChannels: number;
  publishPerSec: number;
  publishBurst: number;
  httpPublishPerSec: number;
  httpPublishBurst: number;
  maxPresenceInfoBytes: number;
  maxPresenceMembers: number;
  presenceGraceMs: number;
  handshakeTimeoutMs: number;
  httpTimeoutMs: number;
  drainTimeoutMs: number;
  drainDelayMs: number;
  maxBufferedBytes: number;
  maxReplayBytes: number;
  replayStallMs: number;
  faults: boolean;
  clock: Clock;
  logger: Logger;
}

/**
 * Every key of ServerOptions. The `satisfies` makes tsc fail when ServerOptions gains a key
 * this list lacks (it would be refused as unknown).
 */
const SERVER_OPTION_KEYS: readonly string[] = Object.keys({
  port: true,
  host: true,
  broker: true,
  ownsBroker: true,
  retention: true,
  heartbeatMs: true,
  maxHandshakesPerSec: true,
  maxConnections: true,
  authSecret: true,
  echo: true,
  metrics: true,
  allowedOrigins: true,
  tls: true,
  maxFrameBytes: true,
  maxChannels: true,
  publishPerSec: true,
  publishBurst: true,
  httpPublishPerSec: true,
  httpPublishBurst: true,
  maxPresenceInfoBytes: true,
  maxPresenceMembers: true,
  presenceGraceMs: true,
  handshakeTimeoutMs: true,
  httpTimeoutMs: true,
  drainTimeoutMs: true,
  drainDelayMs: true,
  maxBufferedBytes: true,
  maxReplayBytes: true,
  replayStallMs: true,
  faults: true,
  clock: true,
  logger: true,
} as const satisfies Record<keyof ServerOptions, true>);

/** `drainTimeoutMs` when not given (also the CLI's `--drain-timeout-ms` default). */
export const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;

const noop = (): void => {};
/** A logger that says nothing (the library default; the CLI logs to stderr). */
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };

function positive(name: string, value: number | undefined, fallback: number, allowZero = false): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || Number.isNaN(v) || v < 0 || (!allowZero && v === 0)) {
    throw new TypeError(`createServer: ${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${String(value)}`);
  }
  return v;
}

/**
 * `listen({ host: '' })` binds every interface (`::`), so an empty value (an unset `$HOST`,
 * a blank config field) silently exposed a server meant for loopback.
 */
/** A whole number from `min` to `max`: a fraction or a larger port failed later, in `listen`, with another error. */
function whole(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new TypeError(`createServer: ${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return v;
}

function hostOption(host: string | undefined): string {
  // `null` kept meaning the default, as `??` read it before.
  if (host === undefined || host === null) return '127.0.0.1';
  if (typeof host !== 'string' || host.trim() === '') {
    throw new TypeError(
      `createServer: host must be an interface address, got ${JSON.stringify(host) ?? String(host)}; pass '0.0.0.0' or '::' to bind every interface, '127.0.0.1' for loopback only`,
    );
  }
  return host;
}

export function resolveOptions(o: ServerOptions, clock: Clock): ResolvedOptions {
  // First: a misspelt `authSecret` must not get as far as an open server.
  checkKnownKeys('createServer', o, SERVER_OPTION_KEYS);
  const authSecret = o.authSecret || undefined;
  if (o.echo !== undefined && typeof o.echo !== 'boolean') throw new TypeError(`createServer: echo must be a boolean, got ${String(o.echo)}`);
  if (o.metrics !== undefined && typeof o.metrics !== 'boolean') throw new TypeError(`createServer: metrics must be a boolean, got ${String(o.metrics)}`);
  return {
    port: whole('port', o.port, 0, 0, 65_535),
    host: hostOption(o.host),
    retention: whole('retention', o.retention, 1000, 1, Number.MAX_SAFE_INTEGER),
    heartbeatMs: positive('heartbeatMs', o.heartbeatMs, 15_000),
    maxHandshakesPerSec: positive('maxHandshakesPerSec', o.maxHandshakesPerSec, Infinity),
    maxConnections: positive('maxConnections', o.maxConnections, Infinity),
    authSecret,
    echo: o.echo ?? authSecret === undefined,
    metrics: o.metrics ?? true,
    // [] admits no browser page (it admitted every origin); only `undefined` means any.
    allowedOrigins: o.allowedOrigins,
    maxFrameBytes: positive('maxFrameBytes', o.maxFrameBytes, 65_536),
    maxChannels: positive('maxChannels', o.maxChannels, 100),
    publishPerSec: positive('publishPerSec', o.publishPerSec, 100),
    publishBurst: positive('publishBurst', o.publishBurst, 200),
    httpPublishPerSec: positive('httpPublishPerSec', o.httpPublishPerSec, 1000),
    httpPublishBurst: positive('httpPublishBurst', o.httpPublishBurst, 2000),
    maxPresenceInfoBytes: positive('maxPresenceInfoBytes', o.maxPresenceInfoBytes, 4096),
    maxPresenceMembers: positive('maxPresenceMembers', o.maxPresenceMembers, 1000),
    presenceGraceMs: positive('presenceGraceMs', o.presenceGraceMs, 5000, true),
    handshakeTimeoutMs: positive('handshakeTimeoutMs', o.handshakeTimeoutMs, 10_000),
    httpTimeoutMs: positive('httpTimeoutMs', o.httpTimeoutMs, 30_000),
    drainTimeoutMs: positive('drainTimeoutMs', o.drainTimeoutMs, DEFAULT_DRAIN_TIMEOUT_MS, true),
    drainDelayMs: positive('drainDelayMs', o.drainDelayMs, 0, true),
    maxBufferedBytes: positive('maxBufferedBytes', o.maxBufferedBytes, 16 * 1024 * 1024),
    maxReplayBytes: positive('maxReplayBytes', o.maxReplayBytes, defaultMaxReplayBytes()),
    replayStallMs: positive('replayStallMs', o.replayStallMs, DEFAULT_REPLAY_STALL_MS),
    faults: o.faults === true,
    clock,
    logger: o.logger ?? silentLogger,
  };
}
