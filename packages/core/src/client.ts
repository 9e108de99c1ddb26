import { Emitter, tell } from './emitter';
import { Channel as ChannelImpl, type ChannelHost } from './channel';
import { Connection, type ConnectionOwner } from './connection';
import { EMPTY } from './presence';
import { LifelineError } from './errors';
import type { LifecycleEvent, LifecycleSource } from './browserLifecycle';
import { DEFAULT_HEARTBEAT, randomId } from './options';
import { isWireId } from './wireId';
import { backoffDelay, DEFAULT_RECONNECT } from './backoff';
import { browserLifecycle } from './browserLifecycle';
import { hintDelay, systemClock } from './clock';
import { defaultWebSocket } from './platform';
import { silentLogger } from './logger';
import { DEFAULT_OUTBOX } from './outbox';
import { Publisher, type PublisherHost } from './publisher';
import { isStopCode, isTokenCode, parseRetryAfterMs, PROTOCOL_VERSION } from './protocol';
import type { ServerLimits, WelcomeFrame } from './protocol';
import { isPosition, type InboundHost } from './inbound';
import { INITIAL_SNAPSHOT, type TransitionExtra } from './stateMachine';
import type { Counters } from './stats';
import { joinTicker, leaveTicker } from './ticker';
import type { TokenHolder } from './token';
import { CHANNEL_RULE, isChannelName } from './channelName';
import { checkTypes, withDefaults } from './checkOptions';
import type {
  Channel,
  ChannelOptions,
  ClientOptions,
  ClientStats,
  Clock,
  CloseOptions,
  ConnectionSnapshot,
  ConnectionState,
  LifelineClient,
  Logger,
  PublishOptions,
  PublishResult,
  TokenContext,
  TokenSource,
  TransitionReason,
  Unsubscribe,
  WebSocketLike,
} from './types';

type Extra = { closeCode?: number; closeReason?: string; error?: LifelineError };

/**
 * Creates a client; it connects at once unless `autoConnect: false`.
 */
export function createClient(options: ClientOptions): LifelineClient {
  const client = new Client(options);
  if (options.autoConnect !== false) client.connect();
  return client;
}

/**
 * The client. A class whose per-client state is plain fields and whose behaviour lives
 * on the prototype: an idle connected client is a handful of small objects (measured
 * by `pnpm bench`, memory per idle client). Members starting with `_` are internal and
 * renamed in dist.
 */
export class Client extends Emitter implements LifelineClient, ChannelHost, PublisherHost, InboundHost, ConnectionOwner, TokenHolder {
  readonly clientId: string;
  /**
   * As given (not copied: an idle client keeps no second options object); url, agent,
   * WebSocket, handshakeTimeoutMs and heartbeat.timeoutMs are read from it per attempt.
   */
  _opts: ClientOptions;
  _random: () => number;
  _reconnect: typeof DEFAULT_RECONNECT;
  _heartbeat: typeof DEFAULT_HEARTBEAT;
  _outbox: typeof DEFAULT_OUTBOX;
  override _clock: Clock;
  _logger: Logger;
  _lifecycle: LifecycleSource | null;
  _counters: Counters = {
    reconnects: 0,
    lastCloseCode: null,
    lastCloseReason: null,
    rttMs: null,
    received: 0,
    replayed: 0,
    deduped: 0,
    gaps: 0,
  };
  _token: TokenSource | undefined;
  _tokenPending?: Promise<string | undefined> | null;
  _tokenLast?: string;
  _snap: ConnectionSnapshot = INITIAL_SNAPSHOT;
  /** Reconnect attempt number (reset on welcome). */
  _attempt: number;
  _snapListeners?: Set<() => void>;
  /** Every channel asked for (the desired set), in creation order. */
  _channels: ChannelImpl<any>[] = EMPTY as never;
  /** By name, once there are more than a few (a Map costs ~0.2 KB: most clients have one channel). */
  _byName?: Map<string, ChannelImpl<any>>;
  _outgoing?: Publisher;
  _limits?: ServerLimits | null;
  _conn?: Connection | null;
  /** `welcome` received on `_conn`. */
  _ready?: boolean;
  /**
   * ... and its `open` listeners told: from then on a publisher created may send at
   * once, and so may channels and presence (not from an `open` listener, which runs
   * before the re-subscription that sends their frames).
   */
  _welcomed?: boolean;
  /** connect() was called and close() was not. */
  _started?: boolean;
  /** Bumped per connection attempt, so a late token answer for an old attempt is ignored. */
  _gen: number;
  _refSeq: number;
  /** The last welcome's heartbeatMs (> 0: checked by the frame router); unset before the first. */
  _heartbeatMs?: number;
  /** Liveness timeout of the current connection, set by its welcome (not read before: checks wait for it). */
  _timeoutMs!: number;
  _prevDelay: number;
  /**
   * Drain hint (PROTOCOL.md §13) as clock times from the frame: this client's slot and
   * the window's end, however slow the close; null (or unset) when there is none.
   */
  _drainSlot?: [from: number, to: number, end: number] | null;
  /**
   * Closes in a row with the same code (`_rowCode`) of connections that were welcomed (or
   * closed with 1009), and the last one's delay: their own backoff (see _closed). _rowDelay
   * is only read once _inRow > 1, after it was set. _inRow starts at 0: only a welcomed or
   * 1009 close resets it, so a first close of another kind must not leave it undefined.
   */
  _inRow: number;
  _rowDelay!: number;
  _rowCode?: number;
  /**
   * Frames other than ping/pong received (bumped by the frame router), as last seen by
   * _tick, and when; those two are set by the welcome (_tick reads them only after it).
   */
  _work: number;
  _workSeen!: number;
  _workAt!: number;
  /** When the current connection was welcomed. */
  _openAt!: number;
  /** How long the current connection took from its socket to its welcome (a probe's floor); set by the welcome. */
  _hsMs!: number;
  _tokenReason: TokenContext['reason'] = 'connect';
  /**
   * The token the server refused (4100), as the function gave it (undefined too); null:
   * none (a client without a token, refused, must try again on reconnectNow()).
   */
  _rejectedToken?: string | null = null;
  _killWhy?: TransitionReason | null;
  _hidden?: boolean;
  /**
   * Stops the browser-lifecycle listening; null while stopped by _stop() (gave up, or
   * closed), which only the application's _open() ends.
   */
  _stopLifecycle?: (() => void) | null;
  /** Set by the first _tick(), which connect() runs (its lateness, NaN then, is read only with a socket). */
  _nextTickAt!: number;
  /** Set by the welcome, before the checks read it. */
  _lastPingAt!: number;
  _closing?: Promise<void> | null;
  /** Frames received on the socket when the latest liveness probe pinged. */
  _probeRx?: number;
  /** When to renew the token in band (see _renewAt); unset: the server knows no `auth`. */
  _refreshAt?: number;
  /** How long after a renewal the next one is due, as the latest expiry said (see _renewAt); unset before one. */
  _renewMs?: number;
  /** The ref of the latest `auth` sent (only its answer counts), when it was sent, and its token. */
  _authRef?: number;
  _authAt?: number;
  _authToken?: string;
  /** Until when the server asked for no `auth` (a `RATE_LIMITED` hint): setToken() waits for it. */
  _authHold?: number;
  _onSocketGone?: (() => void) | null;
  // `_timer` (Timed) is the one timer of the current state: the retry (closed), the
  // handshake timeout (connecting), the liveness probe (open) or the close timeout
  // (closing). They never overlap, so one handle is enough; the periodic check is shared
  // (ticker.ts).

  constructor(options: ClientOptions) {
    super();
    // The counters start at 0 in one chain: ~7 B min+gzip less than an initialiser each.
    this._attempt = this._gen = this._refSeq = this._prevDelay = this._inRow = this._work = 0;
    checkTypes(options);
    // Every option with its documented default, read once.
    this._opts = options;
    this._random = options.random ?? Math.random;
    this._reconnect = withDefaults(DEFAULT_RECONNECT, options.reconnect);
    this._heartbeat = withDefaults(DEFAULT_HEARTBEAT, options.heartbeat);
    this._outbox = withDefaults(DEFAULT_OUTBOX, options.outbox);
    this._clock = options.clock ?? systemClock;
    this._logger = options.logger ?? silentLogger;
    this._lifecycle = options.lifecycle === false ? null : (options.lifecycle ?? browserLifecycle);
    const id = options.clientId;
    // The server refuses a hello with any other clientId (BAD_FIELD, then 4203): the client
    // retried it for ever.
    if (id != null && !isWireId(id)) throw new LifelineError('BAD_ARGUMENT', 'option clientId: 1-128 well-formed chars');
    this.clientId = id ?? `c_${randomId(this._random)}`;
    this._token = options.token;
  }

  // ---------------------------------------------------------------- public API

  get state(): ConnectionState {
    return this._snap.state
  }

  connect(): void {
    // Not while waiting to retry: an app calling connect() on each render or focus cut
    // every backoff short (reconnectNow() is the way to skip the wait).
    if (this._closing || this.state != 'closed' || this._timer) return;
    if (!this._started) {
      this._started = true;
      joinTicker(this._clock, this._heartbeat.checkIntervalMs, this);
      this._tick(); // sets _nextTickAt (no socket yet: it checks nothing)
    }
    this._open('connect');
  }

  reconnectNow(): void {
    if (this._started && !this._closing && this.state == 'closed') {
      this._open('reconnect-now');
    }
  }

  publish<T = unknown>(channel: string, data: T, options?: PublishOptions): Promise<PublishResult> {
    let p = this._outgoing;
    if (!p) {
      // The publisher, created on the first publish. Created by an `open` listener, it
      // waits for the end of the welcome like the rest.
      p = this._outgoing = new Publisher(this);
      if (this._welcomed) p._connected();
    }
    return p._publish(channel, data, options);
  }

  close({ code = 1000, reason = 'client closed' }: CloseOptions = {}): Promise<void> {
    if (!this._closing) {
      if (!(code === 1000 || (code >= 3000 && code < 5000) || code === 1001)) {
        return Promise.reject(new LifelineError('BAD_ARGUMENT', `close code ${code}: use 1000, 1001 or 3000-4999`));
      }
      // Set before the shutdown runs: a state listener calling close() again (on
      // 'closing') got a second shutdown, and so on until the stack overflowed.
      let run!: (p: Promise<void>) => void;
      this._closing = new Promise<void>((r) => (run = r)).finally(() => {
        this._closing = null;
      });
      run(this._shutdown(code, reason));
    }
    return this._closing;
  }

  whenFlushed(): Promise<void> {
    return this._outgoing?._flushed() ?? Promise.resolve();
  }

  getSnapshot(): ConnectionSnapshot {
    return this._snap;
  }

  subscribe(listener: () => void): Unsubscribe {
    const ls = (this._snapListeners ??= new Set());
    ls.add(listener);
    return () => void ls.delete(listener);
  }

  stats(): ClientStats {
    const p = this._outgoing;
    return { ...this._counters, attempt: this._attempt, outboxDepth: p?._size ?? 0, outboxBytes: p?._bytes ?? 0 };
  }

  setToken(token: TokenSource | undefined): void {
    this._token = token;
    this._tokenPending = null;
    this._rejectedToken = null;
    const state = this.state;
    // Open, on a server that takes a token in band: at once (permissions, expiry), not from
    // the next connection; also while close() flushes on that connection (the outbox failed
    // CLIENT_CLOSED at the old token's expiry, long before closeTimeoutMs).
    // Not during a rate limit's hint: the renewal at its end sends the latest token (each
    // refusal counts toward the server's bad-frame limit: a setToken() per keystroke got 4201).
    if (state == 'open') {
      if (this._refreshAt && !(this._authHold! > this._clock.now())) this._refresh();
      return;
    }
    if (!this._started || this._closing) return;
    if (state == 'connecting') {
      // The attempt in flight carries the old token (or awaits the old function's
      // answer): start it again with the new one, so a refusal of the old token cannot
      // stop the client before the new one was tried.
      const old = this._conn;
      this._conn = null;
      old?._kill(1000, 'token changed');
      this._open('connect');
    } else if (state == 'closed' && !this._timer) this._open('connect');
  }

  channel<T = unknown>(name: string, co?: ChannelOptions): Channel<T> {
    const policy = co?.onHandlerError;
    const skip = policy === 'skip';
    const since = co?.since;
    // A `since` of 1.5, -1 or NaN (a corrupt checkpoint) became the position: every message
    // after it looked like a duplicate or a hole, or the server refused the subscribe.
    if (since != null && !isPosition(since)) throw new LifelineError('BAD_ARGUMENT', 'since: {offset: integer >= 0, epoch: string}');
    let ch = this._find(name) as ChannelImpl<T> | undefined;
    // Checked before anything changes. A typo ('skipp') was silently 'redeliver'. The
    // channel is shared: while it has handlers, one asking for the other policy is refused
    // (it was silently given the one in force); without handlers nobody depends on it, and
    // the policy named last applies (a page that used 'skip' and left does not bind the next).
    if (policy !== undefined && ((!skip && policy !== 'redeliver') || (ch?._handlers.length && ch._skip === !skip))) {
      throw new LifelineError('BAD_ARGUMENT', `onHandlerError ${policy}: channel ${name} has ${ch?._skip ? 'skip' : 'redeliver'}`);
    }
    if (!ch) {
      if (!isChannelName(name)) throw new LifelineError('BAD_ARGUMENT', `invalid channel name ${JSON.stringify(name)?.slice(0, 60)}: ${CHANNEL_RULE}`);
      ch = new ChannelImpl<T>(name, this);
      // Up to 8, a new array of the exact size (concat; a spread or pushed-to array reserves
      // ~17 slots). Above, pushed (a copy per channel made 20,000 channels take 1.6 s), and
      // lookups by name go through a Map.
      if (this._byName) this._byName.set(name, ch), this._channels.push(ch);
      else if ((this._channels = this._channels.concat(ch)).length > 8) this._byName = new Map(this._channels.map((c) => [c.name, c]));
    }
    ch._since(since);
    if (policy) ch._skip = skip;
    return ch;
  }

  // ---------------------------------------------------------------- plumbing

  _send(text: string): boolean | undefined {
    return this._conn?._send(text);
  }

  _ref(): number {
    return ++this._refSeq;
  }

  _find(name: unknown): ChannelImpl | undefined {
    if (this._byName) return this._byName.get(name as string);
    for (const ch of this._channels) if (ch.name === name) return ch;
    return undefined;
  }

  /**
   * The connection state machine's one rule: nothing happens when nothing changed. A
   * `closed → closed` move still counts as a change when it schedules or cancels a retry,
   * so the snapshot always says what happens next.
   */
  _setState(to: ConnectionState, reason: TransitionReason, extra: TransitionExtra = {}): void {
    const prev = this._snap;
    const attempt = this._attempt;
    const retryInMs = to == 'closed' ? (extra.retryInMs ?? null) : null;
    if (prev.state == to && prev.reason == reason && prev.retryInMs == retryInMs && prev.attempt == attempt) return;
    this._snap = {
      state: to,
      attempt,
      retryInMs,
      retryAt: retryInMs === null ? null : this._clock.now() + retryInMs,
      reason,
      // Why it is not open: the error the move carries, else none after a handshake, a
      // close() or a move to closed (a plain drop); a wait (connecting, closed -> closed)
      // keeps it. Kept for good, a token error once fixed was shown at every later drop.
      lastError: extra.error ?? (to == 'connecting' || (to == prev.state && reason != 'close-requested') ? prev.lastError : null),
      // Only a welcome moves to open, and it passes its session: every other state has none
      // (open → open, a second welcome, is no change and returns above).
      session: extra.session ?? null,
    };
    // Keys without a value stay undefined rather than absent (one object shape). The
    // error is left out of the log line: it is logged (by code) where it is reported.
    const meta = { from: prev.state, to, reason, attempt, retryInMs, closeCode: extra.closeCode, closeReason: extra.closeReason };
    this._logger.info('state', meta);
    this.emit('state', { ...meta, error: extra.error });
    if (this._snapListeners) tell(this._snapListeners, (l) => l());
  }

  _report(e: LifelineError, heard?: boolean): void {
    this._logger.warn('error', { code: e.code, serverCode: e.serverCode, channel: e.channel });
    // Heard by nobody (no `error` listener here or on its channel, no logger) it would
    // vanish, a throwing handler held its channel without a trace: the console gets it,
    // as a browser's for an uncaught error.
    if (!this.emit('error', e) && !heard && this._logger == silentLogger) console.error(e);
  }

  _offline(): boolean {
    return !(this._reconnect.ignoreOffline || !this._lifecycle || this._lifecycle.isOnline());
  }

  // ---------------------------------------------------------------- connecting

  /** A new attempt; whatever timer was armed (a retry, an old handshake) is cancelled. */
  _open(reason: TransitionReason): void {
    this._cancel();
    // The application starts it (after a stop, or after pagehide): its closes are handled as any.
    this._hidden = false;
    // Again after _stop() let go of them (before the offline check: `online` ends that wait).
    this._stopLifecycle ||= this._lifecycle?.listen((e) => this._onLifecycle(e));
    if (this._offline()) return this._setState('closed', 'offline');
    // Again after _stop() left the shared check; a check missed meanwhile is no clock jump.
    joinTicker(this._clock, this._heartbeat.checkIntervalMs, this);
    this._nextTickAt = Math.max(this._nextTickAt, this._clock.now());
    const g = ++this._gen;
    this._setState('connecting', reason);
    // A `state` listener may have closed the client (or closed and connected it again,
    // which made a newer attempt): this one is then over.
    if (g != this._gen || this.state != 'connecting') return;
    // One deadline for the whole attempt, the token function's answer included: one that
    // never answers (a fetch hanging on a bad network) held the client in connecting for
    // good. The hung call is forgotten, so the next attempt asks again.
    this._after(this._opts.handshakeTimeoutMs ?? 10_000, () => {
      this._tokenPending = null;
      const c = this._conn;
      if (!c) return this._retryWith('token-error', {}, new LifelineError('TOKEN_ERROR', 'token function timed out'));
      this._killWhy = 'handshake-timeout';
      c._kill(4200, 'handshake timeout');
    });
    const t = this._ask(this._tokenReason);
    if (!(t instanceof Promise)) return this._startSocket(t, g);
    t.then(
      (t) => this._startSocket(t, g),
      (cause) => {
        if (g != this._gen || this.state != 'connecting') return;
        this._retryWith('token-error', {}, new LifelineError('TOKEN_ERROR', 'token function failed', { cause }));
      },
    );
  }

  /**
   * The static token as is (so a static token connects synchronously), else the token
   * function's pending answer: at most one call to the function is in flight.
   */
  _ask(reason: TokenContext['reason']): string | undefined | Promise<string | undefined> {
    const src = this._token;
    if (typeof src != 'function') return src;
    // Forgotten once settled, unless a later call replaced it meanwhile.
    const p: Promise<string | undefined> = (this._tokenPending ||= (async () => src({ reason, attempt: this._attempt }))().finally(() => {
      if (this._tokenPending == p) this._tokenPending = null;
    }));
    return p;
  }

  /**
   * When the open connection's token is to be renewed in band, for one that expires in
   * `ms` (a welcome's or an `authed`'s `tokenExpiresInMs`): at 75-85 % of its life, at
   * random, so tokens issued together are not renewed together. Only a token function
   * can give a new one (a static token: Infinity, none). Unset: the server says nothing of
   * expiry, and knows no `auth` (no secret, or an older server).
   */
  _renewAt(ms: unknown, from = this._clock.now()): void {
    // At least 5 s: an expiry of 0 or less (a server clock ahead of the token issuer's,
    // a hostile server) renewed on every periodic check.
    // One check early: the periodic check runs it up to checkIntervalMs late, and a token
    // living ~10 s then reached the server after its expiry under a latency spike (a 4101).
    this._refreshAt = ms == null ? undefined : typeof this._token == 'function' ? from + (this._renewMs = Math.max(5e3, (ms as number) * (0.75 + this._random() / 10) - this._heartbeat.checkIntervalMs)) : Infinity;
  }

  /**
   * Renews the connection's token in band (`auth`, PROTOCOL.md §10): the function's next
   * one, or setToken()'s. The server closed every connection 4101 at its token's expiry,
   * a reconnect (and a replay) per client per token lifetime. A failure changes nothing:
   * the server still closes at the old token's expiry (before the next renewal, normally),
   * and the reconnect asks again.
   */
  _refresh(): void {
    const c = this._conn;
    // A snapshot listener told of a drop (the state still 'open') may call setToken(): no socket.
    if (!c) return;
    // Until the answer says when the new token expires, renewed again as if it lived as long
    // as the last one: a Node consumer pausing its socket for backpressure read the `authed`
    // only after its backlog, and with short tokens after the new token's expiry (a 4101 and
    // a replay per lifetime). Without a renewal yet (a static token's connection): none.
    this._refreshAt = this._clock.now() + (this._renewMs || Infinity);
    const src = this._token;
    Promise.resolve(this._ask('refresh')).then(
      // Not an old function's late answer after setToken(): it undid the new token.
      (token) => {
        if (c == this._conn && src == this._token) {
          if (typeof token == 'string') {
            this._authAt = this._clock.now();
            this._send(JSON.stringify({ type: 'auth', ref: (this._authRef = this._ref()), token: (this._authToken = token) }));
          }
          // setToken(undefined): no token to send in band, and the connection still runs as
          // the old token's user (for as long as it lives): renewed without one instead.
          // Not while close() flushes on it: renewing cut the flush, and the rest failed CLIENT_CLOSED.
          else if (!src && !this._closing) this._dead(c, 'reconnect-now');
        }
      },
      (cause) => this._report(new LifelineError('TOKEN_ERROR', 'token function failed', { cause })),
    );
  }

  /**
   * The server took the token sent in band: renewed later again; channels and presence
   * enters it refused (`FORBIDDEN`) may be allowed now.
   */
  _authed(f: { ref?: unknown; tokenExpiresInMs?: unknown }): void {
    if (f.ref !== this._authRef) return;
    // Counted from when the token was sent (the server counted from about then): a Node
    // consumer pausing its socket for backpressure read this answer seconds late, and the
    // next renewal came after the new token had expired (a 4101 and a replay each time).
    this._renewAt(f.tokenExpiresInMs, this._authAt);
    this._tokenLast = this._authToken;
    for (const ch of this._channels) ch._state == 'failed' && ch._resync(), ch._pres?._again(1);
  }

  /**
   * The server refused the token sent in band (another subject, expired, bad): the
   * connection went on as the old token, its identity and permissions (a setToken() for
   * another user left the previous one's streams open). Renewed instead: the new
   * connection's hello carries the token, and a refusal there has its usual consequences.
   * Not judged (`RATE_LIMITED`, with a hint: a setToken() many times a second): sent again
   * after the hint on this connection. A reconnect per refusal made such an app reconnect
   * (and replay) about once a second.
   */
  _unauthed(e: LifelineError): void {
    if (e.retryAfterMs != null) this._refreshAt = this._authHold = this._clock.now() + hintDelay(e.retryAfterMs);
    else if (this._conn && !this._closing) this._dead(this._conn, 'reconnect-now');
    this._report(e);
  }


  _startSocket(token: string | undefined, g: number): void {
    if (g != this._gen || this.state != 'connecting') return;
    // Sent as is, a null (a token function before login) was refused by the server as a
    // bad hello and retried for ever without saying why.
    if (token !== undefined && typeof token != 'string') return this._retryWith('token-error', {}, new LifelineError('TOKEN_ERROR', `token is ${token === null ? 'null' : typeof token}, not a string`));
    if (this._tokenReason == 'rejected' && token === this._rejectedToken) {
      return this._stop('auth-failed', new LifelineError('AUTH_FAILED', 'token rejected and not renewed'));
    }
    this._tokenLast = token;
    // Never two live sockets (defensive: _open() only runs from closed, where _conn is null).
    const old = this._conn;
    this._conn = null;
    old?._kill(1000, 'replaced');
    const o = this._opts;
    const hello = JSON.stringify({ type: 'hello', v: PROTOCOL_VERSION, token, clientId: this.clientId, agent: o.agent ?? 'lifeline-core/0.1.0' });
    let c: Connection;
    try {
      c = new Connection(o.WebSocket ?? defaultWebSocket(), o.url, hello, this._clock.now(), this);
    } catch (cause) {
      // Not retried: the same url and constructor throw the same way every time (an
      // invalid URL, a blocked port), so retrying for ever only hid the reason. The app's
      // own argument, not the server's refusal (CONNECTION_REFUSED sent users to the server).
      return this._stop('terminal', new LifelineError('BAD_ARGUMENT', `cannot create WebSocket: ${cause}`, { cause }));
    }
    this._conn = c;
  }

  _welcome(f: WelcomeFrame): void {
    // close() was called while connecting: that socket is on its way out (and the timer
    // now is close()'s own timeout, which must keep running).
    if (this._closing) return;
    // The socket that read it: a replaced or killed one is detached first, so it reads nothing more.
    const c = this._conn!;
    this._cancel();
    this._ready = true;
    if (this._heartbeatMs) this._counters.reconnects++;
    // At most a minute: a server with no heartbeat bound announces 2^53 − 1 (PROTOCOL §3),
    // and taken as is the client never pinged nor declared a dead socket dead (a half-open
    // TCP connection hung for good). Pinged at least every minute, the server's pongs prove life.
    const hb = Math.min(f.heartbeatMs, 6e4);
    this._timeoutMs = this._opts.heartbeat?.timeoutMs ?? hb * 2 + 1000;
    // Pinged often enough for a user's shorter timeout to see the pongs.
    this._heartbeatMs = Math.min(hb, this._timeoutMs / 2);
    this._limits = f.limits;
    // Counted from when the socket was made, before the hello was sent (the server counted
    // from when it read it): from the welcome, a slow link's round trip came off the margin.
    this._renewAt(f.tokenExpiresInMs, c._lastRxAt);
    // A rate limit's hint is the old connection's (its server's count).
    this._attempt = this._prevDelay = this._authHold = 0;
    this._tokenReason = 'connect';
    this._openAt = this._lastPingAt = this._workAt = this._clock.now();
    // At most its deadline, which the host's timers keep: a wall clock stepped forward meanwhile
    // (NTP at boot, a VM restored) counted the step, and the probe waited twice that.
    this._hsMs = Math.min(this._openAt - c._lastRxAt, this._opts.handshakeTimeoutMs ?? 1e4);
    this._workSeen = this._work; // the welcome itself
    c._silentFor(this._lastPingAt, Infinity); // the welcome itself is the last proof of life
    this._setState('open', 'handshake', { session: f.session });
    if (this._conn != c) return; // a state listener closed us
    // Before the re-subscription: an `error` listener told during it (an enter above
    // maxFrameBytes) may subscribe or enter elsewhere, which then goes out at once (it
    // waited for the next connection); a channel that did so is not subscribed twice.
    this._welcomed = true;
    for (const ch of this._channels) ch._connected();
    this._outgoing?._connected();
  }

  _drain(windowMs: unknown, slot?: unknown): void {
    // Not a number of ms a timer can wait (missing, negative, 1e999, past 2^31 − 1): no
    // hint, backoff as for any close.
    if (!(+(windowMs as number) === windowMs && 0 <= windowMs && windowMs < 2 ** 31)) return;
    const t = this._clock.now();
    const end = t + windowMs;
    // A slot outside the window (or not a pair of numbers) is ignored: the whole window.
    const [a, b] = Array.isArray(slot) ? slot : [];
    this._drainSlot = +a === a && +b === b && 0 <= a && a <= b && b <= windowMs ? [t + a, t + b, end] : [t, end, end];
  }

  // ---------------------------------------------------------------- liveness

  /** The periodic check (every heartbeat.checkIntervalMs): liveness, client pings (RTT), wall-clock jumps (TTLs have their own timer, publisher.ts). */
  _tick(): void {
    const t = this._clock.now();
    const old = t - this._outbox.ackTimeoutMs;
    const late = t - this._nextTickAt;
    const c = this._conn;
    this._nextTickAt = t + this._heartbeat.checkIntervalMs;
    // Nothing to check without a welcomed socket.
    if (c && this._ready) {
      if (this._work != this._workSeen) (this._workSeen = this._work), (this._workAt = t - this._heartbeat.checkIntervalMs);
      if (t >= this._refreshAt!) this._refresh();
      if (c._silentFor(t, this._timeoutMs)) this._dead(c);
      else if (late > this._heartbeat.jumpThresholdMs) {
        this._logger.info('clock-jump', { lateMs: late });
        this._probe();
      }
      // A publish the server never answered (no ack, no error) held every later one behind
      // it, an unanswered sub left its channel 'subscribing' (its messages ignored) and an
      // unanswered presence.enter never settled, for good, while pings kept the socket alive.
      // Treated as a broken connection: the reconnect re-sends the publish (same id: stored
      // at most once), subscribes and enters again. Only when nothing but heartbeats came
      // for ackTimeoutMs: answers queued behind a replay or on a slow link are progress (a
      // slow uplink was torn down with acks still arriving). After the clock-jump probe: a
      // suspension's first late tick comes before the answers already in the socket are read.
      // Nothing in flight: undefined <= x is false.
      else if (
        this._workAt <= old &&
        ((this._outgoing?._inFlight.values().next().value?._sentAt as number) <= old ||
          this._channels.some((ch) => ((ch._subRef || ch._state == 'unsubscribing') && ch._sentAt! <= old) || (ch._pres?._waiters.some((w) => w.ref) && ch._pres._sentAt! <= old)))
      )
        this._dead(c, 'ack-timeout');
      else if (t - this._lastPingAt >= this._heartbeatMs!) this._ping(c);
    }
  }

  /** Client pings measure the round trip (the pong echoes `t`). */
  _ping(c: Connection): void {
    c._send(`{"type":"ping","t":${(this._lastPingAt = this._clock.now())}}`);
  }

  /**
   * Pings now; no frame within probeTimeoutMs, or twice the handshake's time (socket to
   * welcome: the client's own measure of the link) when that is longer → dead. A fixed 5 s killed a working
   * connection on a link slower than that at every app switch (visibilitychange), then
   * the slow handshake and resubscribe.
   */
  _probe(): void {
    const c = this._conn;
    // A probe still unanswered keeps its deadline. One answered already only waits out its
    // timer, and swallowed the next signal: offline a second after a blip's probe left a
    // dead socket 'open' until the heartbeat timeout. While open and not closing, the
    // probe's is the only timer there is.
    if (!c || !this._ready || this._closing || (this._timer && c._rx == this._probeRx)) return;
    const rx = (this._probeRx = c._rx);
    this._ping(c);
    this._after(Math.max(this._heartbeat.probeTimeoutMs, 2 * this._hsMs), () => {
      if (c == this._conn && c._rx == rx) this._dead(c);
    });
  }

  _dead(c: Connection, why: TransitionReason = 'heartbeat-timeout'): void {
    this._killWhy = why;
    c._kill(4202, why);
  }

  _onLifecycle(e: LifecycleEvent): void {
    // A client that gave up waits for setToken(), connect() or reconnectNow(): `online` sent a
    // refused static token again (or knocked on a server that refused the version), per flap.
    // It does not listen (_stop); a signal in the middle of a close() is ignored.
    if (this._closing) return;
    if (e == 'pagehide') {
      this._hidden = true;
      this._cancel();
      if (this._conn) this._conn._kill(1000, 'pagehide');
      else this._setState('closed', 'pagehide');
    } else if (e == 'pageshow' || (e == 'online' && !this._hidden)) {
      this._hidden = false;
      // The network comes back to a whole fleet at once (an office, a cell): online cuts the
      // wait short to a moment within the first delay, not to 0 ms for everyone.
      // A sooner retry (a drain slot's, a 4101's) stays; the state says the new wait.
      const d = this._random() * this._reconnect.initialDelayMs;
      if (e == 'online' && this._started && this.state == 'closed') {
        if (!(this._timer && this._snap.retryAt! <= this._clock.now() + d)) {
          this._after(d, () => this._open('reconnect-now'));
          this._setState('closed', 'reconnect-now', { retryInMs: d });
        }
      } else this.reconnectNow();
      this._probe();
    } else this._probe(); // offline / visible: is the socket still alive?
  }

  // ---------------------------------------------------------------- closing

  _closed(c: Connection, code: number, reason: string, hintMs?: number): void {
    if (c != this._conn) return;
    // A drain hint is for this close only, whichever way it is handled below.
    const drain = this._drainSlot;
    const why = this._killWhy ?? 'socket-closed';
    const welcomed = this._ready;
    this._drainSlot = this._killWhy = this._conn = null;
    this._ready = this._welcomed = false;
    // The close timeout is close()'s to cancel; any other timer (handshake, probe) ends here.
    if (!this._closing) this._cancel();
    this._counters.lastCloseCode = code;
    if ((welcomed || code == 1009) && code != this._rowCode) this._inRow = 0, (this._rowCode = code);
    this._counters.lastCloseReason = reason;
    this._outgoing?._disconnected();
    for (const ch of this._channels) ch._disconnected();
    if (this._closing) return this._onSocketGone?.();
    const extra = { closeCode: code, closeReason: reason };
    if (this._hidden) return this._setState('closed', 'pagehide', extra);
    // An upgrade refused with a 4xx other than 408/429 (connection.ts reports it as 1006
    // 'http 4xx'; only Node's ws tells the status, a browser cannot): a wrong path or a
    // forbidding proxy answers the same way each time.
    // A 404: the url's path is not the server's endpoint (`/v1` on the reference server).
    if (code == 1006 && /^http 4(?!08|29)/.test(reason)) return this._stop('terminal', new LifelineError('CONNECTION_REFUSED', `upgrade refused: ${reason}${reason == 'http 404' ? ' (not the /v1 path?)' : ''}`), extra);
    // closeAction()'s rules (protocol/closeCodes.ts), without its action strings.
    if (isStopCode(code)) return this._stop('terminal', new LifelineError('CONNECTION_REFUSED', `server closed ${code} ${reason}`), extra);
    if (isTokenCode(code)) {
      const expired = code == 4101;
      this._tokenReason = expired ? 'expired' : 'rejected';
      // A static token cannot be refreshed: retrying it (expired or not) is refused again, for ever.
      // Only the one refused, the connection's (never a function): a setToken() on this
      // connection whose `auth` was not yet taken (in flight, read by the server after the old
      // token's expiry, held by a rate limit, or no `auth` on this server) left it on the old
      // one. Stopped, the client never tried the new token; it goes on below, as a function's.
      if (this._token === this._tokenLast) {
        return this._stop('auth-failed', new LifelineError('AUTH_FAILED', `token ${this._tokenReason} (${code}${reason && ' ' + reason}): call setToken()`), extra);
      }
      // Expired while connected: at once, but spread over the first delay: tokens issued
      // together expire together, and a fleet retrying at 0 ms put every handshake (and
      // token refresh) in one instant. null: nothing to compare (a function's `undefined`
      // refused is, see _startSocket).
      if (expired && welcomed) return (this._rejectedToken = null), this._retry(why, extra, this._random() * this._reconnect.initialDelayMs);
      // Refused at the hello, expired too: the function gave a token already expired (a stale
      // file). Taken as a renewal, it was retried at once for ever without an error event: now
      // with the backoff and a TOKEN_ERROR each time. Not a stop when the same one comes back
      // (as for a 4100): a file rotated a second after `exp`, or a clock a second behind,
      // gives the old token once more, and a whole fleet stopped for good.
      this._rejectedToken = expired ? null : this._tokenLast;
      // Said, not only in the state's closeCode: a function handing out tokens the server
      // refuses (a wrong signing key) retried for ever without an error event.
      return this._retryWith(why, extra, new LifelineError('TOKEN_ERROR', `token refused (${code}${expired ? ' expired' : ''})`));
    }
    if (drain) {
      // A moment in this client's slot, counted from the drain frame, not from the close:
      // a client process sees its closes in batches (a loaded one, ~100 ms apart), and a
      // delay counted from the close carried each jump into the wave as an overlap. If
      // that moment has passed by the time the close came, anywhere in what is left:
      // late clients must not all reconnect at once (measured: that alone made a 10k
      // fleet refuse 17k handshakes).
      const now = this._clock.now();
      const [from, to, end] = drain;
      const at = from + this._random() * (to - from);
      return this._retry('drain', extra, at >= now ? at - now : Math.max(0, this._random() * (end - now)));
    }
    // A server that welcomes then closes (a crash on the replay of one message, 1011; a
    // frame above a size limit, the server's maxFrameBytes or this client's Node
    // maxPayloadBytes, 1009, which also comes before a welcome): the welcome reset the
    // backoff, a loop at the first delay for ever. Such closes get a backoff of their own,
    // growing while they come in a row with the same code (not counted as failed attempts:
    // each connection worked); another code after a welcome (a refused attempt between, a
    // server restarting, does not), or a connection that lasted longer than the longest
    // wait, starts it again, except an ack timeout's (it always lasts ackTimeoutMs, 30 s like
    // the default longest wait: it never grew). Not 1006 (no close frame: the network's
    // doing, retried at the first delay as ever). A 1009 is said each time.
    const tooBig = code == 1009;
    const hint = parseRetryAfterMs(reason) ?? hintMs;
    let delay = hint == null ? undefined : hint * (1 + this._random() / 2);
    if (tooBig || (welcomed && delay == null && code != 1006)) {
      if (welcomed && why != 'ack-timeout' && this._clock.now() - this._openAt > this._reconnect.maxDelayMs) this._inRow = 0;
      delay = this._rowDelay = backoffDelay(this._reconnect, ++this._inRow, this._inRow > 1 ? this._rowDelay : 0, this._random);
    }
    this._retryWith(why, extra, tooBig ? new LifelineError('MESSAGE_TOO_LARGE', `closed 1009 ${reason}: frame over maxFrameBytes (server) or maxPayloadBytes (client)`) : undefined, delay);
  }

  /**
   * _retry() with the error that caused it in the transition (the snapshot's `lastError`),
   * reported once closed, as _stop() does.
   */
  _retryWith(reason: TransitionReason, extra: Extra, error?: LifelineError, delayMs?: number): void {
    this._retry(reason, { ...extra, error }, delayMs);
    if (error) this._report(error);
  }

  /** Schedules the next attempt (`delayMs` overrides the backoff). */
  _retry(reason: TransitionReason, extra: Extra, delayMs?: number): void {
    const attempt = ++this._attempt;
    if (attempt > this._reconnect.maxAttempts) return this._stop('max-attempts', undefined, extra);
    if (delayMs == null) delayMs = this._prevDelay = backoffDelay(this._reconnect, attempt, this._prevDelay, this._random);
    if (this._offline()) return this._setState('closed', 'offline', extra);
    // Armed before listeners are told: one calling close(), reconnectNow() or connect()
    // cancels it (armed after, it reconnected a closed client or replaced the new
    // attempt's handshake deadline).
    this._after(delayMs, () => this._open('retry'));
    this._setState('closed', reason, { ...extra, retryInMs: delayMs });
  }

  _stop(reason: TransitionReason, error?: LifelineError, extra: Extra = {}): void {
    this._cancel();
    // No browser signal either until the application starts it again (_open listens again):
    // a client that gave up ignored them, and the window's listeners kept it, and all it
    // holds, alive for good after the app dropped it without close(). Before the listeners
    // below are told: one calling setToken() listens again.
    this._stopLifecycle?.();
    this._stopLifecycle = null;
    // Nothing to check until setToken(), reconnectNow() or connect() (_open joins again):
    // the shared timer kept a Node process alive for good after the client gave up.
    leaveTicker(this._clock, this._heartbeat.checkIntervalMs, this);
    // The error of the retry that gave up (max-attempts, which passes none) stays the reason.
    this._setState('closed', reason, { error, ...extra });
    // Told once closed: an `error` listener's setToken() (the cure for AUTH_FAILED) met
    // the state before (open: ignored; connecting: an attempt the move to closed then hid).
    if (error) this._report(error);
  }

  async _shutdown(code: number, reason: string): Promise<void> {
    this._started = false;
    this._gen++;
    this._cancel();
    const pub = this._outgoing;
    if (this._outbox.onClose == 'flush' && this._ready && pub?._size) {
      await new Promise<void>((resolve) => {
        // Without a socket nothing more will be acked: fail the rest now.
        this._onSocketGone = resolve;
        void pub._flushed().then(resolve);
        this._after(this._outbox.closeTimeoutMs, resolve);
      });
      // The close timeout may still be armed: the close below (or the end) re-arms or cancels it.
      this._onSocketGone = null;
    }
    // Already closed (gave up, waiting to retry, never connected): nothing to close, so
    // no `closing` with nothing behind it; `closed` below still says why it stays closed.
    if (this.state != 'closed') this._setState('closing', 'close-requested');
    const error = new LifelineError('CLIENT_CLOSED', 'client closed');
    pub?._failAll(error);
    for (const ch of this._channels) ch._disconnected(error);
    const c = this._conn;
    this._ready = this._welcomed = false;
    if (c) {
      await new Promise<void>((resolve) => {
        this._onSocketGone = resolve;
        c._close(code, reason);
        // A peer that never answers the close handshake must not hold close() forever.
        this._after(1000, () => c._kill(code, reason));
      });
      this._onSocketGone = null;
    }
    this._hidden = false;
    this._attempt = 0;
    this._stop('close-requested');
  }
}
