/**
 * Public contract of @lifeline/core. React, Node and storm build on these shapes;
 * the implementation lives in the other files of this package.
 */
import type { Position, PresenceMember } from './protocol';

export type { Position, PresenceMember } from './protocol';

/** The four connection states. */
export type ConnectionState = 'connecting' | 'open' | 'closing' | 'closed';

/** Why a transition happened. */
export type TransitionReason =
  | 'connect' // connect() called
  | 'handshake' // welcome received
  | 'close-requested' // close() called
  | 'socket-closed' // the server or network closed the socket
  | 'token-error' // the token function threw, rejected or timed out (error: TOKEN_ERROR); no socket was opened
  | 'heartbeat-timeout'
  | 'handshake-timeout'
  | 'drain' // server asked to reconnect (drain frame)
  | 'retry' // backoff timer fired
  | 'reconnect-now' // reconnectNow() or browser online event
  | 'auth-failed' // 4100 with no new token
  | 'terminal' // a stop close code
  | 'max-attempts' // reconnect.maxAttempts reached
  | 'offline' // navigator.onLine === false: waiting for the online event
  | 'pagehide'; // bfcache

/** Emitted on every real state change, and held in the snapshot. */
export interface StateChange {
  from: ConnectionState;
  to: ConnectionState;
  reason: TransitionReason;
  /** Reconnect attempt number (0 when connected or before the first retry). */
  attempt: number;
  /** When `to` is `closed`: ms until the scheduled retry, or `null` if none is scheduled. */
  retryInMs: number | null;
  /**
   * Close code and reason of the socket, when a socket closed. A socket that failed
   * without a reason (code 1006) has the socket error's message here when the platform
   * gives one (Node's `ws`: `connect ECONNREFUSED 127.0.0.1:8080`; browsers give none).
   */
  closeCode?: number;
  closeReason?: string;
  error?: LifelineError;
}

/** Immutable snapshot, replaced only on change (safe for useSyncExternalStore). */
export interface ConnectionSnapshot {
  state: ConnectionState;
  attempt: number;
  retryInMs: number | null;
  /** Wall-clock ms at which the scheduled retry fires, or null. */
  retryAt: number | null;
  reason: TransitionReason | null;
  lastError: LifelineError | null;
  session: string | null;
}

/** Injected time source; defaults wrap the globals lazily so fake timers work. */
export interface Clock {
  now(): number;
  setTimeout(cb: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export type JitterStrategy = 'full' | 'equal' | 'decorrelated' | 'none';

export interface ReconnectOptions {
  /** @default 500 */
  initialDelayMs?: number;
  /** @default 30_000 */
  maxDelayMs?: number;
  /** @default 2 */
  factor?: number;
  /** @default 'full' */
  jitter?: JitterStrategy;
  /**
   * Retries after a failure, the first attempt not counted: `0` never retries, `2` makes
   * at most 3 attempts in a row. Then `closed` with reason `max-attempts`; the count
   * starts again after a handshake succeeds. @default Infinity
   */
  maxAttempts?: number;
  /** Reconnect even while `navigator.onLine === false`. @default false */
  ignoreOffline?: boolean;
}

export interface HeartbeatOptions {
  /** Silence after which the socket is declared dead. @default server heartbeatMs × 2 + 1000 (31_000 before welcome) */
  timeoutMs?: number;
  /** Period of the liveness/TTL check (one timer for the whole client, never one per frame). @default 1000 */
  checkIntervalMs?: number;
  /** After a wall-clock jump or a browser signal, a ping must be answered within this. @default 5000 */
  probeTimeoutMs?: number;
  /** A check that runs this much later than scheduled means the clock jumped (sleep, throttled tab). @default 5000 */
  jumpThresholdMs?: number;
}

export type OverflowPolicy = 'reject' | 'drop-oldest' | 'drop-newest';

export interface OutboxOptions {
  /** @default 1000 */
  maxMessages?: number;
  /** @default 1_048_576 */
  maxBytes?: number;
  /** @default 'reject' */
  overflow?: OverflowPolicy;
  /** Per-message time to live while not yet sent (once sent it is re-sent until acked); Infinity keeps forever. @default Infinity */
  ttlMs?: number;
  /** On close(): 'flush' waits (up to closeTimeoutMs) for queued publishes, 'fail' rejects them. @default 'fail' */
  onClose?: 'flush' | 'fail';
  /** With onClose 'flush': how long close() waits for acks before failing the rest. @default 5000 */
  closeTimeoutMs?: number;
}

export interface TokenContext {
  /** Why the token is asked for. */
  reason: 'connect' | 'expired' | 'rejected';
  attempt: number;
}

export type TokenSource = string | ((ctx: TokenContext) => Promise<string> | string);

export interface Logger {
  debug(msg: string, meta?: Record<string, unknown>): void;
  info(msg: string, meta?: Record<string, unknown>): void;
  warn(msg: string, meta?: Record<string, unknown>): void;
  error(msg: string, meta?: Record<string, unknown>): void;
}

/**
 * The part of a WebSocket instance the client uses: the browser's `WebSocket`, Node's
 * `ws` and mock-socket all fit (`ws`'s own class is not a DOM `WebSocket` to TypeScript,
 * so a constructor returning one was a type error without a cast).
 */
export interface WebSocketInstanceLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: any) => unknown) | null;
  onmessage: ((ev: any) => unknown) | null;
  onclose: ((ev: any) => unknown) | null;
  onerror: ((ev: any) => unknown) | null;
}

/** A WebSocket constructor (browser, `ws`, or mock-socket). */
export type WebSocketLike = new (url: string, protocols?: string | string[]) => WebSocketInstanceLike;

/**
 * Options of {@link createClient}. The object is kept as given: `url`, `WebSocket`,
 * `agent`, `handshakeTimeoutMs` and `heartbeat.timeoutMs` are read at each connection
 * attempt, the rest once at creation.
 */
export interface ClientOptions {
  /** `ws://host:port/v1` or `wss://…/v1`. */
  url: string;
  token?: TokenSource;
  reconnect?: ReconnectOptions;
  heartbeat?: HeartbeatOptions;
  outbox?: OutboxOptions;
  /** Stable id for presence; @default random per client instance */
  clientId?: string;
  /** @default the browser's `WebSocket` in a browser build (the `browser` export condition), Node's `ws` (through isomorphic-ws) elsewhere */
  WebSocket?: WebSocketLike;
  /** @default wraps Date.now / setTimeout / clearTimeout */
  clock?: Clock;
  /** @default Math.random */
  random?: () => number;
  logger?: Logger;
  /** Connect on creation. @default true */
  autoConnect?: boolean;
  /**
   * No `welcome` within this after the attempt started (the token function's answer
   * included) → retry; a token function that has not answered by then fails the attempt
   * with `TOKEN_ERROR` and is called again on the next one. @default 10_000
   */
  handshakeTimeoutMs?: number;
  /**
   * Source of online/offline, visibility and bfcache signals. `false` disables them.
   * @default the browser's window/document when present (a silent source elsewhere)
   */
  lifecycle?: LifecycleSource | false;
  /** Sent in `hello.agent` for server logs. @default 'lifeline-core/0.1.0' */
  agent?: string;
}

/** A delivered message. */
/**
 * A delivered message: the server's `msg` frame itself (not copied, to keep delivery
 * allocation-free), so it also carries `type: 'msg'`.
 */
export interface Message<T = unknown> {
  /** `'msg'` on every delivered message (the frame's own type field). */
  type?: 'msg';
  channel: string;
  /** Per-channel, +1 per message. */
  offset: number;
  /** The channel log's id: changes when its history was lost. */
  epoch: string;
  data: T;
  /** The publisher's idempotency id. */
  id?: string;
  /** Server time it was stored, ms since 1970 (PROTOCOL.md §5). */
  ts?: number;
}

export type GapReason = 'epoch-changed' | 'out-of-retention' | 'hole' | 'handler-skipped';

export interface GapEvent {
  channel: string;
  /**
   * Position of the last message before the gap in delivery order (null if none): the
   * messages after it, up to and including `to`, are missing.
   */
  from: Position | null;
  /** Where the channel goes on from: the next message delivered is the one after it. */
  to: Position;
  reason: GapReason;
}

export interface ChannelOptions {
  /**
   * Start after this position (e.g. from a checkpoint). Also applies on a later
   * `channel(name, { since })` while the channel has no position yet (made earlier
   * without it, e.g. by presence or to publish); a channel that has one keeps it.
   */
  since?: Position;
  /** What to do when a handler throws. @default 'redeliver' */
  onHandlerError?: 'redeliver' | 'skip';
}

export type ChannelState = 'idle' | 'subscribing' | 'subscribed' | 'unsubscribing' | 'failed';

export interface ChannelSnapshot {
  state: ChannelState;
  position: Position | null;
  lastGap: GapEvent | null;
  error: LifelineError | null;
}

export interface PublishOptions {
  /** Idempotency id. @default `${clientId}-${counter}` */
  id?: string;
  /** Overrides outbox.ttlMs for this message. */
  ttlMs?: number;
}

export interface PublishResult {
  offset: number;
  epoch: string;
  duplicate: boolean;
}

export interface ClientStats {
  reconnects: number;
  attempt: number;
  lastCloseCode: number | null;
  lastCloseReason: string | null;
  outboxDepth: number;
  outboxBytes: number;
  rttMs: number | null;
  received: number;
  replayed: number;
  deduped: number;
  gaps: number;
}

/** Listener of a snapshot store. */
export type Unsubscribe = () => void;

// LifelineError is declared in errors.ts; re-declared here as a type-only import.
import type { LifelineError } from './errors';
import type { LifecycleSource } from './browserLifecycle';
import type { OutboxEvent } from './outbox';
export type { LifelineError } from './errors';
export type { LifecycleEvent, LifecycleSource } from './browserLifecycle';
export type { OutboxEvent } from './outbox';

export interface Channel<T = unknown> {
  readonly name: string;
  /** Position of the last message whose handlers returned. */
  readonly position: Position | null;
  /** Adds a handler; the wire subscribe happens with the first. Returns its remover. */
  subscribe(handler: (msg: Message<T>) => void | Promise<void>): Unsubscribe;
  /**
   * Resolves on the server's ack. Queued while not connected — before `connect()` and
   * after `close()` too, for a later `connect()`: such a publish settles only then, at its
   * `ttlMs`, or on overflow; it does not reject because the client is closed.
   */
  publish(data: T, options?: PublishOptions): Promise<PublishResult>;
  on(event: 'gap', listener: (e: GapEvent) => void): this;
  on(event: 'error', listener: (e: LifelineError) => void): this;
  on(event: 'presence', listener: (members: readonly PresenceMember[]) => void): this;
  off(event: string, listener: (...args: any[]) => void): this;
  getSnapshot(): ChannelSnapshot;
  /** Store contract over the channel snapshot. */
  subscribeSnapshot(listener: () => void): Unsubscribe;
  readonly presence: {
    /**
     * The members present, as a frozen array that is replaced only when membership
     * changes (a member joined, left, or changed its info). Between changes every call
     * returns the same array, so it is safe as a `useSyncExternalStore` snapshot; a
     * re-announcement of the same members (after a reconnect) keeps the same array.
     */
    members(): readonly PresenceMember[];
    /**
     * Enters presence with `info` (now, or once connected) and again after every
     * reconnect until `leave()`. Resolves when the server confirmed (`presence.ok`), or
     * at once when `leave()` is called before it could be sent; rejects on an error
     * frame for it or when the client closes.
     */
    enter(info?: unknown): Promise<void>;
    /** Stops being present (and being re-entered after reconnects). */
    leave(): Promise<void>;
  };
}

/** Options of {@link LifelineClient.close}. */
export interface CloseOptions {
  /**
   * Close code sent to the server: 1000, 1001 (going away, e.g. a draining Node process)
   * or 3000–4999. Anything else rejects with BAD_ARGUMENT. Browsers only send 1000 and
   * 3000–4999; for another code they close with no code (the server sees 1005).
   * @default 1000
   */
  code?: number;
  /** Close reason sent to the server (at most 123 UTF-8 bytes). @default 'client closed' */
  reason?: string;
}

export interface LifelineClient {
  readonly state: ConnectionState;
  readonly clientId: string;
  connect(): void;
  /**
   * Stops the client: fails (or, with `outbox.onClose: 'flush'`, first flushes) the
   * outbox, closes the socket with `code`/`reason`, clears every timer and listener.
   * A call while a close is in progress returns the same promise (its options are ignored).
   */
  close(options?: CloseOptions): Promise<void>;
  /**
   * Resolves once the outbox is empty: nothing queued and nothing in flight. Publishes
   * leave it by ack or by failure (rejected, dropped, expired, client closed), so this
   * never rejects; each publish's own promise says how it ended. Resolves at once when
   * the outbox is already empty. Publishes made after the call are waited for too.
   */
  whenFlushed(): Promise<void>;
  reconnectNow(): void;
  channel<T = unknown>(name: string, options?: ChannelOptions): Channel<T>;
  getSnapshot(): ConnectionSnapshot;
  /** Store contract: the listener is called after each snapshot change. */
  subscribe(listener: () => void): Unsubscribe;
  on(event: 'state', listener: (e: StateChange) => void): this;
  on(event: 'error', listener: (e: LifelineError) => void): this;
  on(event: 'outbox', listener: (e: OutboxEvent) => void): this;
  off(event: string, listener: (...args: any[]) => void): this;
  stats(): ClientStats;
  /**
   * Replaces the token source. After a 4100 (bad token) with a static token the client
   * stays closed until this is called; it then connects at once. While connecting, the
   * attempt in flight (which carries the old token) is started again with the new one.
   */
  setToken(token: TokenSource): void;
  /** Publishes without going through `channel()` (same as `client.channel(name).publish`). */
  publish<T = unknown>(channel: string, data: T, options?: PublishOptions): Promise<PublishResult>;
}
