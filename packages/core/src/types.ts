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
  | 'token-error' // the token function threw, rejected or timed out, or the token was not a string (error: TOKEN_ERROR); no socket was opened
  | 'heartbeat-timeout' // no frame for heartbeat.timeoutMs, or a probe unanswered: the socket was torn down (close code 4202, close reason 'heartbeat-timeout') and a retry scheduled
  | 'ack-timeout' // a publish, sub, unsub or presence.enter got no answer within outbox.ackTimeoutMs: the socket was torn down (close code 4202) and the reconnect sends it again
  | 'handshake-timeout'
  | 'bad-frame' // a malformed answer to a pending sub (BAD_FRAME error event, on its channel too): the socket was torn down (close code 4202) and the reconnect subscribes again
  | 'drain' // server asked to reconnect (drain frame)
  | 'retry' // backoff timer fired
  | 'reconnect-now' // reconnectNow() or browser online event
  | 'auth-failed' // token refused (4100–4199) with a static token, or the token function returned the refused token again
  | 'terminal' // a stop close code from the server (1000, 4000–4099), an upgrade refused with HTTP 4xx other than 408/429, or a WebSocket constructor that threw
  | 'max-attempts' // reconnect.maxAttempts reached
  | 'offline' // navigator.onLine === false: no retry scheduled, waiting for the online event. Also the move to closed of a close while offline that would have scheduled one (a liveness kill: closeCode 4202, closeReason 'heartbeat-timeout'; see closeCode/closeReason and stats())
  | 'pagehide'; // bfcache

/** Emitted on every real state change, and held in the snapshot. */
export interface StateChange {
  from: ConnectionState;
  to: ConnectionState;
  reason: TransitionReason;
  /**
   * Reconnect attempt number: 0 when connected; the `closed` change that schedules retry n
   * already carries n (1 for the first retry).
   */
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
  /**
   * The error that caused this move to `closed`, if one did (`TOKEN_ERROR`, `AUTH_FAILED`,
   * `CONNECTION_REFUSED`, `BAD_ARGUMENT`, `MESSAGE_TOO_LARGE`); it is also told on the
   * `error` event, right after. A plain drop carries none.
   */
  error?: LifelineError;
}

/** Immutable snapshot, replaced only on change (safe for useSyncExternalStore). */
export interface ConnectionSnapshot {
  state: ConnectionState;
  /** Failed attempts in a row (0 once a handshake succeeded); see `reconnect.maxAttempts`. */
  attempt: number;
  /** When `closed`: ms until the scheduled retry, or null when none is scheduled (gave up, closed, offline). */
  retryInMs: number | null;
  /** Wall-clock ms at which the scheduled retry fires, or null. */
  retryAt: number | null;
  /** Why the last transition happened; null before the first. */
  reason: TransitionReason | null;
  /**
   * Why the client is not (yet) open: the error of the move to `closed` that caused the
   * current wait (see {@link StateChange.error}), kept while it retries (`connecting`, and
   * `closed` → `closed`). `null` once a handshake succeeds (while `open`), after a move to
   * `closed` that carries no error (a plain drop: see `reason` and the `state` event's
   * `closeCode`), and after `close()`. Every error, also those of an open client, is told
   * on the `error` event.
   */
  lastError: LifelineError | null;
  /** The server's session id while `open` (from `welcome`), else null. */
  session: string | null;
}

/** Injected time source (ms); defaults wrap the globals lazily so fake timers work. */
export interface Clock {
  now(): number;
  setTimeout(cb: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * How a retry delay is drawn from its cap (`min(maxDelayMs, initialDelayMs × factor^(attempt − 1))`):
 * `full` uniform in [0, cap); `equal` cap/2 + uniform in [0, cap/2); `decorrelated`
 * min(maxDelayMs, initialDelayMs + uniform in [0, 3 × max(previous, initialDelayMs) − initialDelayMs)); `none` exactly the cap.
 */
export type JitterStrategy = 'full' | 'equal' | 'decorrelated' | 'none';

/**
 * Reconnect backoff. Also paces a channel's redelivery after a handler failure. Checked at
 * creation: a value of the wrong type, NaN or negative, a 0 `initialDelayMs` or a `factor`
 * below 1 throws `BAD_ARGUMENT`.
 */
export interface ReconnectOptions {
  /** Cap of the first retry's delay, ms (> 0). @default 500 */
  initialDelayMs?: number | undefined;
  /** Largest delay between attempts, ms. @default 30_000 */
  maxDelayMs?: number | undefined;
  /** Growth of the cap per attempt (>= 1). @default 2 */
  factor?: number | undefined;
  /** How the delay is drawn below its cap; another value is `BAD_ARGUMENT` at createClient. @default 'full' */
  jitter?: JitterStrategy | undefined;
  /**
   * Retries after a failure, the first attempt not counted: `0` never retries, `2` makes
   * at most 3 attempts in a row. Then `closed` with reason `max-attempts`; the count
   * starts again after a handshake succeeds. @default Infinity
   */
  maxAttempts?: number | undefined;
  /** Reconnect even while `navigator.onLine === false`. @default false */
  ignoreOffline?: boolean | undefined;
}

/** Liveness of an open connection. Checked at creation like {@link ReconnectOptions}. */
export interface HeartbeatOptions {
  /**
   * Silence (no frame at all), in ms, after which an open socket is declared dead and
   * closed (reason `heartbeat-timeout`). Read at each welcome; checked only after one
   * (before it, `handshakeTimeoutMs` applies). Detection lags by up to `checkIntervalMs`.
   * @default the welcome's heartbeatMs × 2 + 1000 (31_000 with the reference server's 15 s)
   */
  timeoutMs?: number | undefined;
  /**
   * Period of the client's check, ms (> 0): liveness, client pings (RTT, once per server
   * heartbeatMs) and clock jumps. One timer shared by every client with the same clock and
   * period, never one per frame. Outbox TTLs have their own timer.
   * @default 1000
   */
  checkIntervalMs?: number | undefined;
  /** After a clock jump or a browser signal (offline, visible, online), a frame must arrive within this many ms or the socket is declared dead. @default 5000 */
  probeTimeoutMs?: number | undefined;
  /** A check that runs this many ms later than scheduled means the clock jumped (sleep, throttled tab): the socket is probed. @default 5000 */
  jumpThresholdMs?: number | undefined;
}

/**
 * What happens when the outbox is full: `reject` refuses the new publish (`OUTBOX_FULL`);
 * `drop-oldest` evicts the oldest unsent publishes (`OUTBOX_DROPPED`; in-flight ones stay);
 * `drop-newest` refuses the new one with `OUTBOX_DROPPED`. Each also emits an `outbox` event.
 */
export type OverflowPolicy = 'reject' | 'drop-oldest' | 'drop-newest';

/**
 * Bounds of the outbox: publishes not yet acknowledged, queued or in flight (both count).
 * Checked at creation like {@link ReconnectOptions}.
 */
export interface OutboxOptions {
  /** Most publishes held (queued + in flight), a count. @default 1000 */
  maxMessages?: number | undefined;
  /** Most bytes held: the UTF-8 size of their `pub` frames. @default 1_048_576 */
  maxBytes?: number | undefined;
  /** When `maxMessages` or `maxBytes` would be exceeded; another value is `BAD_ARGUMENT`. @default 'reject' */
  overflow?: OverflowPolicy | undefined;
  /**
   * Per-message time to live while not yet sent, ms: past it the publish rejects with
   * `OUTBOX_EXPIRED`. Once sent it is re-sent until acked, never expired. Infinity keeps forever;
   * 0 is refused (`BAD_ARGUMENT`: it expired every publish before it could be sent).
   * @default Infinity
   */
  ttlMs?: number | undefined;
  /**
   * On close(): 'flush' waits (up to closeTimeoutMs, and only while connected) for
   * queued publishes, 'fail' rejects them at once; either way what is left rejects with
   * `CLIENT_CLOSED`. Another value is `BAD_ARGUMENT`.
   * @default 'fail'
   */
  onClose?: 'flush' | 'fail' | undefined;
  /** With onClose 'flush': how long close() waits for acks before failing the rest, ms. @default 5000 */
  closeTimeoutMs?: number | undefined;
  /**
   * How long a sent publish may wait for the server's answer (ack or error), ms, while the
   * server sends nothing but heartbeats. Past it (seen by the periodic check, so up to
   * `heartbeat.checkIntervalMs` later) the connection counts as broken even if pings still
   * flow; any other frame from the server (an ack of another publish, a message) counts as
   * progress and starts the wait again, so a slow link or answers queued behind a replay
   * are not taken for a stall: it is torn down (reason
   * `ack-timeout`, close code 4202) and the reconnect re-sends the publish with the same
   * id, which the server stores at most once. The publish does not reject; its TTL no
   * longer applies once sent. Renewals of this kind in a row get a growing backoff. Infinity
   * waits forever (every later publish waits behind it); 0 is refused (`BAD_ARGUMENT`);
   * keep it well above a round trip plus `heartbeat.checkIntervalMs`.
   *
   * Not only publishes (the name is kept from when it was): the same wait applies to a
   * channel's `sub` (unanswered, the channel stayed `subscribing` and ignored its
   * messages) and `unsub` (it stayed `unsubscribing`), counted from when it was sent, and
   * to a `presence.enter` (its promise never settled), counted from the channel's oldest
   * enter still unanswered; the reconnect subscribes and enters again.
   * @default 30_000
   */
  ackTimeoutMs?: number | undefined;
}

/** What a token function is told. */
export interface TokenContext {
  /**
   * Why the token is asked for: a first or ordinary attempt, the last one expired (4101),
   * was refused (4100 or another 41xx code), or the open connection's token is to be renewed
   * in band before it expires (`refresh`: a server with an auth secret says when it
   * expires in its welcome).
   */
  reason: 'connect' | 'expired' | 'rejected' | 'refresh';
  /** The client's failed attempts in a row (0 on the first). */
  attempt: number;
}

/**
 * A static token, or a function asked for one on each connection attempt (at most one
 * call in flight). A function must not return the token just refused (4100): the client
 * then stops with `AUTH_FAILED`. One already expired (4101 before the welcome) is backed off
 * with a `TOKEN_ERROR` each time and asked for again, without a stop (a source rotated late).
 * `undefined` (from a function too) sends no token, which only an open server accepts.
 * One that throws, rejects, times out or gives anything but a string or `undefined` (say
 * `null` before login) fails the attempt with `TOKEN_ERROR` and the client retries with
 * backoff.
 */
export type TokenSource = string | ((ctx: TokenContext) => Promise<string | undefined> | string | undefined);

/** Where the client logs; lines carry codes, counts and names, never tokens or payloads. */
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
  /**
   * Sent in `hello`. A static token refused by the server (4100–4199) stops the client
   * with `AUTH_FAILED` until `setToken()`; a function is asked again (reason `expired`
   * or `rejected`). A function that throws, rejects or does not answer within
   * `handshakeTimeoutMs` fails that attempt with `TOKEN_ERROR` (retried with backoff).
   * @default undefined (no token: only an open server accepts it)
   */
  token?: TokenSource | undefined;
  /** Backoff between connection attempts. @default {@link DEFAULT_RECONNECT} */
  reconnect?: ReconnectOptions | undefined;
  /** Liveness checks of the open connection. @default {@link DEFAULT_HEARTBEAT} */
  heartbeat?: HeartbeatOptions | undefined;
  /** Bounds and policies of the publish outbox. @default {@link DEFAULT_OUTBOX} */
  outbox?: OutboxOptions | undefined;
  /** Stable id for presence, also the prefix of generated publish ids. @default `c_` + a random id per client instance */
  clientId?: string | undefined;
  /** @default the browser's `WebSocket` in a browser build (the `browser` export condition), Node's `ws` (through isomorphic-ws) elsewhere */
  WebSocket?: WebSocketLike | undefined;
  /** @default {@link systemClock} (Date.now / setTimeout / clearTimeout, delays capped at 2^31 − 1 ms) */
  clock?: Clock | undefined;
  /** Source of randomness for jitter, ids and drain slots, in [0, 1). @default Math.random */
  random?: (() => number) | undefined;
  /**
   * @default {@link silentLogger}; an error with no `error` listener (on the client or its
   * channel) and no logger goes to `console.error`
   */
  logger?: Logger | undefined;
  /** Connect on creation. @default true */
  autoConnect?: boolean | undefined;
  /**
   * No `welcome` within this many ms after the attempt started (the token function's
   * answer included) → retry (reason `handshake-timeout`); a token function that has not
   * answered by then fails the attempt with `TOKEN_ERROR` and is called again on the next
   * one. @default 10_000
   */
  handshakeTimeoutMs?: number | undefined;
  /**
   * Source of online/offline, visibility and bfcache signals. `false` disables them.
   * @default the browser's window/document when present (a silent source elsewhere)
   */
  lifecycle?: LifecycleSource | false | undefined;
  /** Sent in `hello.agent` for server logs. @default 'lifeline-core/0.1.0' */
  agent?: string | undefined;
}

/**
 * A delivered message: the server's `msg` frame itself (not copied, to keep delivery
 * allocation-free), so it also carries `type: 'msg'`. The optional fields are absent when
 * the server sent none: core checks `channel`, `offset` and `epoch` only, and passes the
 * frame on as it came.
 */
export interface Message<T = unknown> {
  /**
   * `'msg'` on every delivered message, live or replayed: only a frame whose own `type` is
   * `'msg'` is routed to a channel (inbound.ts), whatever the server. (It was typed optional:
   * a hand-made `Message`, in a test or a fake channel, now needs `type: 'msg'` too.)
   */
  type: 'msg';
  channel: string;
  /** Per-channel, +1 per message. */
  offset: number;
  /** The channel log's id: changes when its history was lost. */
  epoch: string;
  data: T;
  /**
   * The publisher's idempotency id. Absent for an HTTP publish sent without one (PROTOCOL.md
   * §9); a `pub` over the socket always has one.
   */
  id?: string;
  /**
   * Who published it: the publishing token's `sub`, verified and set by the server (never
   * by the publisher) on a server with a secret. Absent on an open server, for a token
   * without `sub`, and from servers older than this field (PROTOCOL.md §5).
   */
  user?: string;
  /**
   * Server time it was stored, ms since 1970 (PROTOCOL.md §5). The reference server always
   * sets it; core does not require it, so a server that leaves it out delivers messages
   * without one.
   */
  ts?: number;
}

/**
 * Why continuity was lost: the channel's history was replaced (`epoch-changed`), the
 * messages after the position are no longer retained (`out-of-retention`), the server
 * could not fill a hole in the live stream on a second request (`hole`), a handler
 * threw with `onHandlerError: 'skip'` (`handler-skipped`: `to` is the skipped message), or
 * more than 4 losses while an async handler was on one message, the fourth on said as one
 * (`merged`: it went through other epochs between `from` and `to`, and may even end in
 * `from`'s epoch, at `from`; everything it passed through is missing).
 */
export type GapReason = 'epoch-changed' | 'out-of-retention' | 'hole' | 'handler-skipped' | 'merged';

/** A channel's `gap` event (also its snapshot's `lastGap`): messages were skipped. */
export interface GapEvent {
  channel: string;
  /**
   * Position of the last message before the gap in delivery order (null if none): the
   * messages after it, up to and including `to`, are missing. In two epochs (a new
   * history): those after `from` in its epoch, and those up to `to` in the new one. A
   * `merged` gap also covers every epoch it went through between them.
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
   * @default undefined (starts live after the head: no replay)
   */
  since?: Position | undefined;
  /**
   * What to do when a handler throws or rejects (each failure is reported as
   * `HANDLER_ERROR`): `'redeliver'` asks the server again from the position after a
   * backoff (`reconnect` options) and hands the message only to the handlers that failed
   * on it; `'skip'` counts it as delivered and emits a `handler-skipped` gap. Another
   * value, or the other policy while the channel has handlers, makes `channel()` throw
   * `BAD_ARGUMENT`.
   * @default 'redeliver'
   */
  onHandlerError?: 'redeliver' | 'skip' | undefined;
}

/**
 * `idle`: no handlers; `subscribing`: a `sub` is pending, or it waits for a connection: also
 * while the client is closed, offline, after `close()` or after it gave up (`terminal`,
 * `auth-failed`, `max-attempts`), until a connection subscribes it (read the client's snapshot too);
 * `subscribed`: live; `unsubscribing`: the last handler left, `unsub` pending; `failed`: the
 * server refused the subscribe for good (see `error`; tried again on the next connection).
 */
export type ChannelState = 'idle' | 'subscribing' | 'subscribed' | 'unsubscribing' | 'failed';

/** Immutable snapshot of a channel, replaced only on change (safe for useSyncExternalStore). */
export interface ChannelSnapshot {
  state: ChannelState;
  /** Position of the last message whose handlers returned, or null before any. */
  position: Position | null;
  /** The last gap, or null. */
  lastGap: GapEvent | null;
  /** Why the subscribe failed (state `failed`); cleared by the next successful subscribe. */
  error: LifelineError | null;
}

/** Options of one publish. */
export interface PublishOptions {
  /**
   * Idempotency id, 1–128 characters (else `BAD_ARGUMENT`): the server stores a
   * re-sent id once. @default `${clientId}-${random}-${counter}`
   */
  id?: string | undefined;
  /**
   * Overrides `outbox.ttlMs` for this message, ms (a number > 0, else `BAD_ARGUMENT`).
   * @default the client's `outbox.ttlMs` (Infinity unless set)
   */
  ttlMs?: number | undefined;
}

/** The server's ack of a publish. */
export interface PublishResult {
  /** Offset of the message in its channel. */
  offset: number;
  epoch: string;
  /** The id had been stored before: `offset` is that original message's. */
  duplicate: boolean;
}

/** Counters of a client since it was created (`stats()` returns a copy). */
export interface ClientStats {
  /** Successful handshakes after the first one. */
  reconnects: number;
  /** Failed attempts in a row (as in the snapshot). */
  attempt: number;
  /** Code of the last socket close, or null before any. */
  lastCloseCode: number | null;
  /**
   * Reason of the last socket close, or null before any: the server's, or for a socket the
   * client tore down 'heartbeat-timeout', 'ack-timeout', 'bad-frame' (4202), 'handshake
   * timeout' (4200). Not the transition's reason: a liveness kill while offline moves to
   * `closed` with reason `offline` and leaves 'heartbeat-timeout' here.
   */
  lastCloseReason: string | null;
  /** Publishes in the outbox: queued plus in flight. */
  outboxDepth: number;
  /** UTF-8 bytes of those publishes' frames (what `outbox.maxBytes` bounds). */
  outboxBytes: number;
  /** Round trip of the last client ping, ms, or null before the first pong. */
  rttMs: number | null;
  /**
   * Messages accepted for delivery (live and replayed; duplicates not counted). One taken
   * again after a handler failure or a buffer overflow dropped it (the replay brings it
   * back) counts each time it is taken.
   */
  received: number;
  /** Of `received`, those replayed after a (re)subscribe. */
  replayed: number;
  /** Messages dropped as already seen. */
  deduped: number;
  /** Gap events, all channels together. */
  gaps: number;
}

/** Listener of a snapshot store. */
export type Unsubscribe = () => void;

// Not re-exported from here: `export type` of it beside index.ts's `export *` of errors.ts
// made TypeScript see the class as a type only (no `instanceof`, no `new` for users).
import type { LifelineError } from './errors';
import type { LifecycleSource } from './browserLifecycle';
import type { OutboxEvent } from './outbox';
export type { LifecycleEvent, LifecycleSource } from './browserLifecycle';
export type { OutboxEvent } from './outbox';

/** One channel of a client (`client.channel(name)`: the same object per name). */
export interface Channel<T = unknown> {
  readonly name: string;
  /** Position of the last message whose handlers returned. */
  readonly position: Position | null;
  /**
   * Adds a handler; the wire subscribe happens with the first, the unsubscribe when the
   * last is removed. Messages arrive in offset order, one at a time: a handler returning a
   * promise holds the next message until it settles; any other value it returns is
   * ignored (so `(m) => list.push(m)` fits). Returns its (idempotent) remover.
   */
  subscribe(handler: (msg: Message<T>) => unknown): Unsubscribe;
  /**
   * Resolves on the server's ack. Queued while not connected — before `connect()` and
   * after `close()` too, for a later `connect()`: such a publish settles only then, at its
   * `ttlMs`, or on overflow; it does not reject because the client is closed. Rejects with
   * `BAD_ARGUMENT` (data not JSON, bad id or ttlMs), `OUTBOX_FULL`, `OUTBOX_DROPPED`,
   * `OUTBOX_EXPIRED`, `MESSAGE_TOO_LARGE`, `SERVER_ERROR` (refused by the server; rate
   * limits and broker outages are retried, not rejected) or `CLIENT_CLOSED` (published
   * while `close()` runs, or failed by it).
   */
  publish(data: T, options?: PublishOptions): Promise<PublishResult>;
  /** `gap`: continuity lost. `error`: a subscribe or presence refusal, a handler failure (also on the client). `presence`: the member list changed. */
  on(event: 'gap', listener: (e: GapEvent) => void): this;
  on(event: 'error', listener: (e: LifelineError) => void): this;
  on(event: 'presence', listener: (members: readonly PresenceMember[]) => void): this;
  /** As `on`, for the next event only (`off` with the same listener removes it before). */
  once(event: 'gap', listener: (e: GapEvent) => void): this;
  once(event: 'error', listener: (e: LifelineError) => void): this;
  once(event: 'presence', listener: (members: readonly PresenceMember[]) => void): this;
  off(event: string, listener: (...args: any[]) => void): this;
  /** Listeners of `event` added with `on`/`once` and not removed. */
  listenerCount(event: string): number;
  /** The current snapshot (the same object until something changes). */
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
     * at once when `leave()` is called before it could be sent, or before its answer
     * when the connection then drops; rejects with `BAD_ARGUMENT` for `info` that is not
     * JSON, `MESSAGE_TOO_LARGE` above the server's `maxFrameBytes`, the `SERVER_ERROR` of
     * an error frame for it (one with `retryAfterMs` is sent again instead), or
     * `CLIENT_CLOSED` when the client closes (then it is not entered on a later
     * `connect()` either: call `enter()` again). Entering again replaces `info`.
     */
    enter(info?: unknown): Promise<void>;
    /**
     * Stops being present (and being re-entered after reconnects). Resolves at once: it
     * does not wait for the server. Sent now, or on the next connection when disconnected
     * (or when the connection drops before its answer); refused with `retryAfterMs`
     * (`BROKER_UNAVAILABLE`, an `error` event), sent again after it until taken. A later
     * `enter()` cancels a leave still owed.
     */
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
  code?: number | undefined;
  /** Close reason sent to the server (at most 123 UTF-8 bytes; a longer one is dropped and the code sent alone). @default 'client closed' */
  reason?: string | undefined;
}

/** A Lifeline client (see {@link createClient}). */
export interface LifelineClient {
  readonly state: ConnectionState;
  readonly clientId: string;
  /**
   * Starts connecting; a no-op unless `closed` and not waiting to retry (use
   * `reconnectNow()` to skip the wait), and ignored while `close()` runs. Reconnects by
   * itself from then on; after it gave up (max attempts, a refusal) `connect()` starts again.
   */
  connect(): void;
  /**
   * Stops the client: fails (or, with `outbox.onClose: 'flush'`, first flushes) the
   * outbox (each publish rejects `CLIENT_CLOSED`; no `outbox` event), closes the socket
   * with `code`/`reason`, clears every timer and the browser-lifecycle listeners it added.
   * Your listeners (`on()`, `subscribe()`) stay: a later `connect()` starts again.
   * A call while a close is in progress returns the same promise (its options are ignored).
   * Rejects with `BAD_ARGUMENT` for a code other than 1000, 1001 or 3000–4999. The
   * client may be connected again with `connect()`.
   */
  close(options?: CloseOptions): Promise<void>;
  /**
   * Resolves once the outbox is empty: nothing queued and nothing in flight. Publishes
   * leave it by ack or by failure (rejected, dropped, expired, client closed), so this
   * never rejects; each publish's own promise says how it ended. Resolves at once when
   * the outbox is already empty. Publishes made after the call are waited for too.
   */
  whenFlushed(): Promise<void>;
  /** Retries at once instead of waiting for the backoff (or after giving up); a no-op unless started and `closed`. */
  reconnectNow(): void;
  /**
   * The channel `name`, created on first use (the same object for every call). `since` and
   * `onHandlerError` apply as described in {@link ChannelOptions}.
   * @throws LifelineError `BAD_ARGUMENT` for an invalid channel name, `onHandlerError`
   * value or `since` (offset not an integer from 0, epoch not a string), or a policy other
   * than the one in force while the channel has handlers.
   */
  channel<T = unknown>(name: string, options?: ChannelOptions): Channel<T>;
  /** The current snapshot (the same object until something changes). */
  getSnapshot(): ConnectionSnapshot;
  /** Store contract: the listener is called after each snapshot change. */
  subscribe(listener: () => void): Unsubscribe;
  /**
   * `state`: every transition. `error`: every error reported (auth, refusals, bad frames,
   * channel errors too). `outbox`: a publish left the outbox unsent (rejected, dropped, expired; not one `close()` fails).
   */
  on(event: 'state', listener: (e: StateChange) => void): this;
  on(event: 'error', listener: (e: LifelineError) => void): this;
  on(event: 'outbox', listener: (e: OutboxEvent) => void): this;
  /** As `on`, for the next event only (`off` with the same listener removes it before). */
  once(event: 'state', listener: (e: StateChange) => void): this;
  once(event: 'error', listener: (e: LifelineError) => void): this;
  once(event: 'outbox', listener: (e: OutboxEvent) => void): this;
  off(event: string, listener: (...args: any[]) => void): this;
  /** Listeners of `event` added with `on`/`once` and not removed. */
  listenerCount(event: string): number;
  /** A copy of the client's counters. */
  stats(): ClientStats;
  /**
   * Replaces the token source. After a 4100 (bad token) with a static token the client
   * stays closed until this is called; it then connects at once. While connecting, the
   * attempt in flight (which carries the old token) is started again with the new one.
   * While open, on a server that takes tokens in band (its welcome said when the token
   * expires), it is sent at once (`auth`): once taken, later requests are judged by it and
   * `failed` channels subscribe again; a token allowing less than the connection holds
   * makes the server renew the connection (4204). Otherwise it applies from the next
   * connection.
   *
   * `undefined` is what the `token` option takes too: no token from now on (the next
   * hello carries none, which only an open server accepts). While open on a server that
   * checks tokens there is nothing to send in band, and the connection still runs as the
   * previous token's user: it is renewed at once (reason `reconnect-now`) without one, which
   * such a server refuses (4100: the client stops with `AUTH_FAILED` until the next
   * `setToken()`). To sign a user out, `close()` is the quiet way.
   */
  setToken(token: TokenSource | undefined): void;
  /** Publishes without going through `channel()` (same as `client.channel(name).publish`). */
  publish<T = unknown>(channel: string, data: T, options?: PublishOptions): Promise<PublishResult>;
}
