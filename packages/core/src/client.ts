import { Emitter } from './emitter';
import type { ChannelHost } from './channel';
import { createChannelRegistry } from './channelRegistry';
import { openConnection, type Connection } from './connection';
import { LifelineError, type LifelineErrorCode } from './errors';
import type { LifecycleEvent } from './browserLifecycle';
import { DEFAULT_HEARTBEAT, randomId } from './options';
import { createBackoff, DEFAULT_RECONNECT } from './backoff';
import { browserLifecycle } from './browserLifecycle';
import { systemClock } from './clock';
import { defaultWebSocket } from './platform';
import { silentLogger } from './logger';
import { DEFAULT_OUTBOX } from './outbox';
import { createPublisher } from './publisher';
import { closeAction, parseRetryAfterMs, PROTOCOL_VERSION } from './protocol';
import type { WelcomeFrame } from './protocol';
import { createFrameRouter } from './inbound';
import { createStateMachine } from './stateMachine';
import { createCounters } from './stats';
import { createTokenProvider } from './token';
import type {
  Channel,
  ChannelOptions,
  ClientOptions,
  CloseOptions,
  LifelineClient,
  PublishOptions,
  PublishResult,
  TokenContext,
  TransitionReason,
} from './types';

type Extra = { closeCode?: number; closeReason?: string; error?: LifelineError };

const fail = (code: LifelineErrorCode, msg: string, extra?: ConstructorParameters<typeof LifelineError>[2]) =>
  new LifelineError(code, msg, extra);

/**
 * Creates a client; it connects at once unless `autoConnect: false`. Written as one
 * closure (not a class) so the browser bundle minifies every internal name.
 */
export function createClient(options: ClientOptions): LifelineClient {
  // Every option with its documented default, read once.
  const { url, agent = 'lifeline-core/0.1.0', handshakeTimeoutMs = 10_000, WebSocket: Socket = defaultWebSocket() } = options;
  const random = options.random ?? Math.random;
  const reconnect = { ...DEFAULT_RECONNECT, ...options.reconnect };
  const backoff = createBackoff(reconnect);
  const heartbeat = { ...DEFAULT_HEARTBEAT, ...options.heartbeat };
  const fixedTimeoutMs = options.heartbeat?.timeoutMs;
  const outbox = { ...DEFAULT_OUTBOX, ...options.outbox };
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const lifecycle = options.lifecycle === false ? null : (options.lifecycle ?? browserLifecycle);
  const clientId = options.clientId ?? `c_${randomId(random)}`;
  const counters = createCounters();
  const snapListeners = new Set<() => void>();
  const tokens = createTokenProvider(options.token);
  const client = new Emitter() as Emitter & LifelineClient;

  let conn: Connection | null = null;
  /** `welcome` received on `conn`. */
  let ready = false;
  /** connect() was called and close() was not. */
  let started = false;
  /** Bumped per connection attempt, so a late token answer for an old attempt is ignored. */
  let gen = 0;
  let refSeq = 0;
  let heartbeatMs = 0;
  let timeoutMs = fixedTimeoutMs ?? heartbeat.timeoutMs;
  let prevDelay = 0;
  /** Drain hint: the window ends `reconnectWindowMs` after the drain frame, however slow the close. */
  let drainAt: number | null = null;
  let drainWindowMs = 0;
  let expiredInRow = 0;
  let tokenReason: TokenContext['reason'] = 'connect';
  let rejectedToken: string | undefined;
  let killWhy: TransitionReason | null = null;
  let hidden = false;
  let everOpen = false;
  let stopLifecycle: (() => void) | null = null;
  let nextTickAt = 0;
  let lastPingAt = 0;
  let closing: Promise<void> | null = null;
  let onSocketGone: (() => void) | null = null;
  // Every timer the client owns, by name; close() clears them all.
  const timers: Partial<Record<'retry' | 'handshake' | 'tick' | 'probe' | 'closing', unknown>> = {};
  const cancel = (k: keyof typeof timers): void => {
    if (timers[k] != null) clock.clearTimeout(timers[k]);
    timers[k] = null;
  };
  /** (Re)arms timer `k`; it forgets its handle before running `fn`. */
  const after = (k: keyof typeof timers, ms: number, fn: () => void): void => {
    cancel(k);
    timers[k] = clock.setTimeout(() => {
      timers[k] = null;
      fn();
    }, ms);
  };
  const now = () => clock.now();
  const send = (text: string) => conn?.send(text);
  const ref = () => ++refSeq;

  const sm = createStateMachine(now, (change) => {
    const { error, ...meta } = change; // the error is logged (by code) where it is reported
    logger.info('state', meta);
    client.emit('state', change);
    for (const l of [...snapListeners]) l();
  });
  const pub = createPublisher({
    clock,
    outbox,
    idPrefix: `${clientId}-${randomId(random)}`,
    send: (text) => {
      if (ready) conn?.send(text);
      return ready;
    },
    ref,
    closing: () => closing !== null,
    onOutbox: (e) => client.emit('outbox', e),
  });
  const report = (e: LifelineError) => {
    logger.warn('error', { code: e.code, serverCode: e.serverCode, channel: e.channel });
    client.emit('error', e);
  };
  const offline = () => !reconnect.ignoreOffline && !!lifecycle && !lifecycle.isOnline();

  // ------------------------------------------------------------------ connecting

  const open = (reason: TransitionReason): void => {
    if (offline()) return sm.set('closed', 'offline');
    sm.set('connecting', reason);
    const g = ++gen;
    const t = tokens.get({ reason: tokenReason, attempt: sm.attempt });
    if (!(t instanceof Promise)) return startSocket(t, g);
    t.then(
      (t) => startSocket(t, g),
      (cause) => {
        if (g !== gen || sm.state !== 'connecting') return;
        attemptFailed(fail('TOKEN_ERROR', 'token function failed', { cause }));
      },
    );
  };

  /** No socket came out of this attempt: report why and retry with backoff. */
  const attemptFailed = (error: LifelineError): void => {
    report(error);
    retry('socket-error', { error });
  };

  const startSocket = (token: string | undefined, g: number): void => {
    if (g !== gen || sm.state !== 'connecting') return;
    if (tokenReason === 'rejected' && token !== undefined && token === rejectedToken) {
      return stop('auth-failed', fail('AUTH_FAILED', 'token rejected and not renewed'));
    }
    tokens.last = token;
    // Never two live sockets (defensive: open() only runs from closed, where conn is null).
    const old = conn;
    conn = null;
    old?.kill(1000, 'replaced');
    const hello = JSON.stringify({ type: 'hello', v: PROTOCOL_VERSION, token, clientId, agent });
    let c: Connection;
    try {
      c = openConnection(Socket, url, hello, now(), {
        frame: onFrame,
        closed: (code, why, hint) => onClosed(c, code, why, hint),
      });
    } catch (cause) {
      return attemptFailed(fail('CONNECTION_REFUSED', 'cannot create WebSocket', { cause }));
    }
    conn = c;
    after('handshake', handshakeTimeoutMs, () => {
      killWhy = 'handshake-timeout';
      c.kill(4200, 'handshake timeout');
    });
  };

  const onWelcome = (f: WelcomeFrame): void => {
    const c = conn;
    cancel('handshake');
    ready = true;
    heartbeatMs = f.heartbeatMs;
    timeoutMs = fixedTimeoutMs ?? heartbeatMs * 2 + 1000;
    if (everOpen) counters.reconnects++;
    everOpen = true;
    sm.attempt = prevDelay = expiredInRow = 0;
    tokenReason = 'connect';
    drainAt = null;
    lastPingAt = now();
    c?.silentFor(lastPingAt, Infinity); // the welcome itself is the last proof of life
    sm.set('open', 'handshake', { session: f.session });
    if (conn !== c) return; // a state listener closed us
    channels.connected();
    pub.connected(f.limits ?? null);
  };

  const onFrame = createFrameRouter({
    find: (name) => channels.find(name),
    pub,
    send,
    welcome: onWelcome,
    pong: (t) => (counters.rttMs = Math.max(0, now() - t)),
    drain: (ms) => ((drainWindowMs = ms), (drainAt = now())),
    report,
  });

  // ------------------------------------------------------------------ liveness

  /** The one periodic timer: TTLs, liveness, client pings (RTT), wall-clock jumps. */
  const tick = (): void => {
    const t = now();
    const late = t - nextTickAt;
    nextTickAt = t + heartbeat.checkIntervalMs;
    after('tick', heartbeat.checkIntervalMs, tick);
    pub.expire(t);
    const c = conn;
    if (!c || !ready) return;
    if (c.silentFor(t, timeoutMs)) return dead(c);
    if (late > heartbeat.jumpThresholdMs) {
      logger.info('clock-jump', { lateMs: late });
      probe();
    } else if (heartbeatMs && t - lastPingAt >= heartbeatMs) ping(c);
  };

  /** Client pings measure the round trip (the pong echoes `t`). */
  const ping = (c: Connection) => c.send(`{"type":"ping","t":${(lastPingAt = now())}}`);

  /** Pings now; no frame within probeTimeoutMs → dead. */
  const probe = (): void => {
    const c = conn;
    if (!c || !ready || timers.probe) return;
    const rx = c.rx;
    ping(c);
    after('probe', heartbeat.probeTimeoutMs, () => {
      if (c === conn && c.rx === rx) dead(c);
    });
  };

  const dead = (c: Connection) => {
    killWhy = 'heartbeat-timeout';
    c.kill(4202, 'client heartbeat timeout');
  };

  const onLifecycle = (e: LifecycleEvent): void => {
    if (closing) return;
    if (e === 'pagehide') {
      hidden = true;
      cancel('retry');
      if (conn) conn.kill(1000, 'pagehide');
      else sm.set('closed', 'pagehide');
    } else if (e === 'pageshow' || (e === 'online' && !hidden)) {
      hidden = false;
      reconnectNow();
      probe();
    } else probe(); // offline / visible: is the socket still alive?
  };

  // ------------------------------------------------------------------ closing

  const onClosed = (c: Connection, code: number, reason: string, hintMs?: number): void => {
    if (c !== conn) return;
    const why = killWhy ?? 'socket-closed';
    killWhy = null;
    conn = null;
    ready = false;
    cancel('handshake');
    cancel('probe');
    counters.lastCloseCode = code;
    counters.lastCloseReason = reason;
    pub.disconnected();
    channels.disconnected();
    pub.onEmpty?.();
    if (closing) return onSocketGone?.();
    const extra = { closeCode: code, closeReason: reason };
    if (hidden) return sm.set('closed', 'pagehide', extra);
    const action = closeAction(code);
    if (action === 'stop') return stop('terminal', fail('CONNECTION_REFUSED', `server closed ${code} ${reason}`), extra);
    if (action === 'refresh-token') {
      tokenReason = code === 4101 ? 'expired' : 'rejected';
      if (code === 4101 && expiredInRow++ === 0) return retry(why, extra, 0);
      rejectedToken = code === 4101 ? undefined : tokens.last;
      if (code !== 4101 && !tokens.isFunction) {
        return stop('auth-failed', fail('AUTH_FAILED', `token rejected (${code}): call setToken()`), extra);
      }
      return retry(why, extra);
    }
    if (drainAt !== null) {
      // Uniform over what is left of the window: clients whose close came late must not
      // all reconnect at once (measured: that alone made a 10k fleet refuse 17k handshakes).
      const left = drainAt + drainWindowMs - now();
      const d = left > 0 ? random() * left : 0;
      drainAt = null;
      return retry('drain', extra, d);
    }
    const hint = parseRetryAfterMs(reason) ?? hintMs;
    retry(why, extra, hint === undefined ? undefined : hint * (1 + random() / 2));
  };

  /** Schedules the next attempt (`delayMs` overrides the backoff). */
  const retry = (reason: TransitionReason, extra: Extra, delayMs?: number): void => {
    const attempt = ++sm.attempt;
    if (attempt > reconnect.maxAttempts) return stop('max-attempts', undefined, extra);
    if (delayMs === undefined) delayMs = prevDelay = backoff(attempt, prevDelay, random);
    if (offline()) return sm.set('closed', 'offline', extra);
    cancel('retry');
    sm.set('closed', reason, { ...extra, retryInMs: delayMs });
    after('retry', delayMs, () => open('retry'));
  };

  const stop = (reason: TransitionReason, error?: LifelineError, extra: Extra = {}): void => {
    cancel('retry');
    if (error) report(error);
    sm.set('closed', reason, { ...extra, error });
  };

  const shutdown = async (code: number, reason: string): Promise<void> => {
    started = false;
    gen++;
    cancel('retry');
    if (outbox.onClose === 'flush' && ready && pub.size) {
      await new Promise<void>((resolve) => {
        pub.onEmpty = resolve;
        after('closing', outbox.closeTimeoutMs, resolve);
      });
      pub.onEmpty = null;
      cancel('closing');
    }
    sm.set('closing', 'close-requested');
    const error = fail('CLIENT_CLOSED', 'client closed');
    pub.failAll(error);
    channels.disconnected(error);
    const c = conn;
    ready = false;
    if (c) {
      await new Promise<void>((resolve) => {
        onSocketGone = resolve;
        c.close(code, reason);
        // A peer that never answers the close handshake must not hold close() forever.
        after('closing', 1000, () => c.kill(code, reason));
      });
      onSocketGone = null;
    }
    for (const k in timers) cancel(k as keyof typeof timers);
    stopLifecycle?.();
    stopLifecycle = null;
    hidden = false;
    sm.attempt = 0;
    sm.set('closed', 'close-requested');
  };

  // ------------------------------------------------------------------ public API

  const connect = (): void => {
    if (closing || sm.state !== 'closed') return;
    if (!started) {
      started = true;
      stopLifecycle = lifecycle?.listen(onLifecycle) ?? null;
      nextTickAt = now();
      tick();
    }
    cancel('retry');
    open('connect');
  };

  const reconnectNow = (): void => {
    if (started && !closing && sm.state === 'closed') {
      cancel('retry');
      open('reconnect-now');
    }
  };

  const channels = createChannelRegistry({
    get ready() {
      return ready;
    },
    counters,
    send,
    ref,
    publish: pub.publish,
    error: report,
    retryDelay: (attempt) => backoff(attempt, 0, random),
    clock,
  } satisfies ChannelHost);

  Object.defineProperty(client, 'state', { get: () => sm.state });
  Object.assign(client, {
    clientId,
    connect,
    reconnectNow,
    publish: pub.publish,
    close: (co: CloseOptions = {}) => {
      const { code = 1000, reason = 'client closed' } = co;
      if (!closing && !(code === 1000 || (code >= 3000 && code < 5000) || code === 1001)) {
        return Promise.reject(fail('BAD_ARGUMENT', `close code ${code}: use 1000, 1001 or 3000-4999`));
      }
      return (closing ??= shutdown(code, reason).finally(() => {
        closing = null;
      }));
    },
    whenFlushed: pub.flushed,
    getSnapshot: () => sm.snapshot,
    subscribe(listener: () => void) {
      snapListeners.add(listener);
      return () => void snapListeners.delete(listener);
    },
    stats: () => ({ ...counters, attempt: sm.attempt, outboxDepth: pub.size, outboxBytes: pub.bytes }),
    setToken(token: ClientOptions['token']) {
      tokens.set(token);
      rejectedToken = undefined;
      if (started && sm.state === 'closed' && !timers.retry) open('connect');
    },
    channel: <T>(name: string, co?: ChannelOptions): Channel<T> => channels.get(name, co),
  });
  if (options.autoConnect !== false) connect();
  return client;
}
