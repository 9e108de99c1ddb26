import EventEmitter from 'eventemitter3';
import { ChannelImpl, type ChannelHost } from './channel';
import { Connection } from './connection';
import { LifelineError, type LifelineErrorCode } from './errors';
import type { LifecycleEvent } from './browserLifecycle';
import { resolveOptions, randomId, type ResolvedOptions } from './options';
import { Outbox, type OutboxEntry } from './outbox';
import { closeAction, parseRetryAfterMs, PROTOCOL_VERSION } from './protocol';
import type { AckFrame, ErrorFrame, ServerFrame, ServerLimits, WelcomeFrame } from './protocol';
import { StateMachine } from './stateMachine';
import { createCounters } from './stats';
import { TokenProvider } from './token';
import type {
  Channel,
  ChannelOptions,
  ClientOptions,
  ClientStats,
  ConnectionSnapshot,
  ConnectionState,
  LifelineClient,
  PublishOptions,
  PublishResult,
  TokenContext,
  TokenSource,
  TransitionReason,
  Unsubscribe,
} from './types';
import { CHANNEL_NAME, utf8Length } from './utf8';

/** Creates a client. It connects at once unless `autoConnect: false`. */
export function createClient(options: ClientOptions): LifelineClient {
  return new Client(options);
}

const fail = (code: LifelineErrorCode, msg: string, extra?: ConstructorParameters<typeof LifelineError>[2]) =>
  new LifelineError(code, msg, extra);

class Client extends EventEmitter implements LifelineClient, ChannelHost {
  readonly clientId: string;
  readonly counters = createCounters();
  ready = false;
  private readonly o: ResolvedOptions;
  private readonly sm: StateMachine;
  private readonly tokens: TokenProvider;
  private readonly outbox: Outbox;
  private readonly channels = new Map<string, ChannelImpl<any>>();
  private readonly snapListeners = new Set<() => void>();
  private readonly nonce: string;
  private conn: Connection | null = null;
  /** connect() was called and close() was not. */
  private started = false;
  /** Bumped per connection attempt, so a late token answer for an old attempt is ignored. */
  private gen = 0;
  private refSeq = 0;
  private pubSeq = 0;
  private limits: ServerLimits | null = null;
  private heartbeatMs = 0;
  private timeoutMs: number;
  private prevDelay = 0;
  private drainWindowMs: number | null = null;
  private expiredInRow = 0;
  private tokenReason: TokenContext['reason'] = 'connect';
  private rejectedToken: string | undefined;
  private killWhy: TransitionReason | null = null;
  private hidden = false;
  private everOpen = false;
  private stopLifecycle: (() => void) | null = null;
  private timers: Record<'retry' | 'handshake' | 'tick' | 'probe' | 'flush' | 'closing', unknown> = {
    retry: null,
    handshake: null,
    tick: null,
    probe: null,
    flush: null,
    closing: null,
  };
  private nextTickAt = 0;
  private lastPingAt = 0;
  private bucket = 0;
  private bucketAt = 0;
  private closing: Promise<void> | null = null;
  private onFlushed: (() => void) | null = null;
  private onSocketGone: (() => void) | null = null;

  constructor(options: ClientOptions) {
    super();
    this.o = resolveOptions(options);
    this.clientId = this.o.clientId;
    this.nonce = randomId(this.o.random);
    this.timeoutMs = this.o.heartbeat.fixedTimeoutMs ?? this.o.heartbeat.timeoutMs;
    this.tokens = new TokenProvider(options.token);
    this.sm = new StateMachine(
      () => this.o.clock.now(),
      (change) => {
        this.o.logger.info(`state ${change.from} -> ${change.to}`, {
          reason: change.reason,
          attempt: change.attempt,
          retryInMs: change.retryInMs,
          closeCode: change.closeCode,
        });
        this.emit('state', change);
        for (const l of [...this.snapListeners]) l();
      },
    );
    this.outbox = new Outbox(this.o.outbox, (kind, e, error) => {
      e.reject(error);
      this.emit('outbox', { kind, id: e.id, channel: e.channel, error });
    });
    if (options.autoConnect !== false) this.connect();
  }

  // ------------------------------------------------------------------ public API

  get state(): ConnectionState {
    return this.sm.state;
  }

  getSnapshot(): ConnectionSnapshot {
    return this.sm.snapshot;
  }

  subscribe(listener: () => void): Unsubscribe {
    this.snapListeners.add(listener);
    return () => this.snapListeners.delete(listener);
  }

  stats(): ClientStats {
    return { ...this.counters, attempt: this.sm.attempt, outboxDepth: this.outbox.size, outboxBytes: this.outbox.bytes };
  }

  connect(): void {
    if (this.closing || this.sm.state !== 'closed') return;
    if (!this.started) {
      this.started = true;
      this.stopLifecycle = this.o.lifecycle?.listen((e) => this.onLifecycle(e)) ?? null;
      this.nextTickAt = this.o.clock.now();
      this.tick();
    }
    this.clear('retry');
    this.open('connect');
  }

  reconnectNow(): void {
    if (this.started && !this.closing && this.sm.state === 'closed') {
      this.clear('retry');
      this.open('reconnect-now');
    }
  }

  setToken(token: TokenSource): void {
    this.tokens.set(token);
    this.rejectedToken = undefined;
    if (this.started && this.sm.state === 'closed' && this.timers.retry === null) this.open('connect');
  }

  close(): Promise<void> {
    return (this.closing ??= this.shutdown());
  }

  channel<T = unknown>(name: string, options: ChannelOptions = {}): Channel<T> {
    let ch = this.channels.get(name);
    if (!ch) {
      if (!CHANNEL_NAME.test(name)) throw fail('BAD_ARGUMENT', `invalid channel name ${JSON.stringify(name)}`);
      this.channels.set(name, (ch = new ChannelImpl<T>(name, options, this)));
    }
    return ch as unknown as Channel<T>;
  }

  publish<T>(channel: string, data: T, options: PublishOptions = {}): Promise<PublishResult> {
    return new Promise((resolve, reject) => {
      if (this.closing) return reject(fail('CLIENT_CLOSED', 'client is closing', { channel }));
      const id = options.id ?? `${this.clientId}-${this.nonce}-${(++this.pubSeq).toString(36)}`;
      let json: string | undefined;
      try {
        json = JSON.stringify(data);
      } catch (cause) {
        return reject(fail('BAD_ARGUMENT', 'data is not JSON-serialisable', { cause, channel }));
      }
      if (json === undefined || !CHANNEL_NAME.test(channel) || typeof id !== 'string' || !id || id.length > 128) {
        return reject(fail('BAD_ARGUMENT', 'invalid data, channel name or id (1–128 chars)', { channel }));
      }
      const tail = `,"channel":${JSON.stringify(channel)},"id":${JSON.stringify(id)},"data":${json}}`;
      // 20 bytes of '{"type":"pub","ref":' plus room for the ref's digits.
      const bytes = utf8Length(tail) + 30;
      if (this.limits && bytes > this.limits.maxFrameBytes) {
        return reject(fail('MESSAGE_TOO_LARGE', `${bytes} bytes > maxFrameBytes ${this.limits.maxFrameBytes}`, { channel }));
      }
      const ttl = options.ttlMs ?? this.o.outbox.ttlMs;
      const e: OutboxEntry = { seq: ++this.pubSeq, id, channel, tail, bytes, expiresAt: this.o.clock.now() + ttl, ref: 0, resolve, reject };
      if (this.outbox.add(e)) this.flush();
    });
  }

  // ------------------------------------------------------------------ ChannelHost

  send(text: string): void {
    this.conn?.send(text);
  }

  ref(): number {
    return ++this.refSeq;
  }

  error(e: LifelineError): void {
    this.o.logger.warn('error', { code: e.code, serverCode: e.serverCode, channel: e.channel });
    this.emit('error', e);
  }

  retryDelay(attempt: number): number {
    return this.o.backoff(attempt, 0, this.o.random);
  }

  setTimer(cb: () => void, ms: number): unknown {
    return this.o.clock.setTimeout(cb, ms);
  }

  clearTimer(h: unknown): void {
    this.o.clock.clearTimeout(h);
  }

  // ------------------------------------------------------------------ connecting

  private open(reason: TransitionReason): void {
    if (!this.o.reconnect.ignoreOffline && this.o.lifecycle && !this.o.lifecycle.isOnline()) {
      return this.sm.set('closed', 'offline');
    }
    this.sm.set('connecting', reason);
    const gen = ++this.gen;
    const ctx = { reason: this.tokenReason, attempt: this.sm.attempt };
    if (!this.tokens.isFunction) return this.startSocket(this.tokens.fixed, gen);
    this.tokens.get(ctx).then(
      (t) => this.startSocket(t, gen),
      (cause) => {
        if (gen !== this.gen || this.sm.state !== 'connecting') return;
        const e = fail('TOKEN_ERROR', 'token function failed', { cause });
        this.error(e);
        this.retry('socket-error', { error: e });
      },
    );
  }

  private startSocket(token: string | undefined, gen: number): void {
    if (gen !== this.gen || this.sm.state !== 'connecting') return;
    if (this.tokenReason === 'rejected' && token === this.rejectedToken && token !== undefined) {
      return this.stop('auth-failed', fail('AUTH_FAILED', 'the server rejected the token and no new token is available'));
    }
    this.tokens.last = token;
    this.conn?.kill(1000, 'replaced'); // never two live sockets
    const hello = JSON.stringify({ type: 'hello', v: PROTOCOL_VERSION, token, clientId: this.clientId, agent: this.o.agent });
    let conn: Connection;
    try {
      conn = new Connection(this.o.WebSocket, this.o.url, hello, this.o.clock.now(), {
        open: () => {},
        frame: (d) => this.onFrame(d),
        closed: (code, reason, hint) => this.onClosed(conn, code, reason, hint),
      });
    } catch (cause) {
      const e = fail('CONNECTION_REFUSED', 'could not create the WebSocket', { cause });
      this.error(e);
      return this.retry('socket-error', { error: e });
    }
    this.conn = conn;
    this.timers.handshake = this.o.clock.setTimeout(() => {
      this.timers.handshake = null;
      this.killWhy = 'handshake-timeout';
      conn.kill(4200, 'no welcome within handshakeTimeoutMs');
    }, this.o.handshakeTimeoutMs);
  }

  private onWelcome(f: WelcomeFrame): void {
    const conn = this.conn;
    this.clear('handshake');
    this.ready = true;
    this.limits = f.limits ?? null;
    this.heartbeatMs = f.heartbeatMs;
    this.timeoutMs = this.o.heartbeat.fixedTimeoutMs ?? f.heartbeatMs * 2 + 1000;
    if (this.everOpen) this.counters.reconnects++;
    this.everOpen = true;
    this.sm.attempt = 0;
    this.prevDelay = 0;
    this.expiredInRow = 0;
    this.tokenReason = 'connect';
    this.drainWindowMs = null;
    this.bucket = this.limits?.publishBurst ?? Infinity;
    this.bucketAt = this.lastPingAt = this.o.clock.now();
    this.sm.set('open', 'handshake', { session: f.session });
    if (this.conn !== conn) return; // a state listener closed us
    for (const ch of this.channels.values()) ch.connected();
    this.flush();
  }

  // ------------------------------------------------------------------ inbound

  private onFrame(data: unknown): void {
    let f: ServerFrame & Record<string, any>;
    try {
      f = JSON.parse(data as string);
    } catch {
      return this.badFrame(typeof data === 'string' ? 'not JSON' : 'binary frame');
    }
    if (f === null || typeof f !== 'object') return this.badFrame('not an object');
    if (f.type === 'msg') {
      if (typeof f.offset !== 'number' || typeof f.epoch !== 'string') return this.badFrame('msg without offset/epoch');
      this.channels.get(f.channel)?.onMsg(f);
      return;
    }
    const ch = typeof f.channel === 'string' ? this.channels.get(f.channel) : undefined;
    switch (f.type) {
      case 'ping':
        return this.send(JSON.stringify({ type: 'pong', t: f.t }));
      case 'pong':
        if (typeof f.t === 'number') this.counters.rttMs = Math.max(0, this.o.clock.now() - f.t);
        return;
      case 'welcome':
        return this.onWelcome(f);
      case 'subscribed':
        return ch?.onSubscribed(f);
      case 'unsubscribed':
        return ch?.onUnsubscribed();
      case 'ack':
        return this.onAck(f);
      case 'presence':
        return ch?.onPresence(f);
      case 'presence.ok':
        return ch?.onPresenceOk(f.ref);
      case 'drain':
        this.drainWindowMs = Math.max(0, Number(f.reconnectWindowMs) || 0);
        return;
      case 'error':
        return this.onServerError(f, ch);
      default:
        return this.badFrame(`unknown frame type ${JSON.stringify(String((f as { type: unknown }).type)).slice(0, 40)}`);
    }
  }

  private badFrame(why: string): void {
    this.error(fail('BAD_FRAME', `malformed frame from the server: ${why}`));
  }

  private onAck(f: AckFrame): void {
    const e = this.outbox.settle(f.ref);
    if (!e) return;
    e.resolve({ offset: f.offset, epoch: f.epoch, duplicate: f.duplicate === true });
    if (this.onFlushed && this.outbox.size === 0) this.onFlushed();
  }

  private onServerError(f: ErrorFrame, ch: ChannelImpl | undefined): void {
    const e = fail('SERVER_ERROR', `${f.code}: ${f.message}`, {
      serverCode: f.code,
      channel: f.channel,
      retryAfterMs: f.retryAfterMs,
    });
    const pub = f.ref === undefined ? undefined : this.outbox.inFlight.get(f.ref);
    if (pub) {
      if (f.code === 'RATE_LIMITED' || f.code === 'BROKER_UNAVAILABLE') {
        // Not stored: send it again (same id) once the server says it may succeed.
        this.outbox.requeue(pub);
        this.bucket = 0;
        this.clear('flush');
        this.timers.flush = this.o.clock.setTimeout(() => {
          this.timers.flush = null;
          this.flush();
        }, f.retryAfterMs ?? 1000);
        return;
      }
      this.outbox.remove(pub, 'rejected', e);
      return;
    }
    if (ch) ch.onError(e, f.ref);
    else this.error(e);
  }

  // ------------------------------------------------------------------ outbound

  /** Sends queued publishes in order, paced by the server's publish rate limit. */
  private flush(): void {
    const c = this.conn;
    if (!this.ready || !c || this.timers.flush !== null) return;
    const now = this.o.clock.now();
    const rate = this.limits?.publishPerSec;
    if (rate) {
      this.bucket = Math.min(this.limits!.publishBurst, this.bucket + ((now - this.bucketAt) * rate) / 1000);
      this.bucketAt = now;
    }
    const q = this.outbox.queue;
    while (q.length) {
      const e = q[0]!;
      if (e.expiresAt <= now) {
        this.outbox.remove(e, 'expired', fail('OUTBOX_EXPIRED', `publish ${e.id} expired while queued`, { channel: e.channel }));
        continue;
      }
      if (this.limits && e.bytes > this.limits.maxFrameBytes) {
        this.outbox.remove(e, 'rejected', fail('MESSAGE_TOO_LARGE', `${e.bytes} bytes > maxFrameBytes`, { channel: e.channel }));
        continue;
      }
      if (this.bucket < 1) {
        this.timers.flush = this.o.clock.setTimeout(
          () => {
            this.timers.flush = null;
            this.flush();
          },
          Math.ceil(((1 - this.bucket) * 1000) / rate!),
        );
        return;
      }
      this.bucket--;
      const ref = this.ref();
      this.outbox.sent(e, ref);
      c.send('{"type":"pub","ref":' + ref + e.tail);
    }
  }

  // ------------------------------------------------------------------ liveness

  /** The one periodic timer: TTLs, liveness, client pings (RTT), wall-clock jumps. */
  private tick = (): void => {
    const { clock, heartbeat } = this.o;
    const now = clock.now();
    const late = now - this.nextTickAt;
    this.nextTickAt = now + heartbeat.checkIntervalMs;
    this.timers.tick = clock.setTimeout(this.tick, heartbeat.checkIntervalMs);
    this.outbox.expire(now);
    const c = this.conn;
    if (!c || !this.ready) return;
    if (c.silentFor(now, this.timeoutMs)) return this.dead(c);
    if (late > heartbeat.jumpThresholdMs) {
      this.o.logger.info('wall-clock jump, probing', { lateMs: late });
      this.probe();
    } else if (this.heartbeatMs && now - this.lastPingAt >= this.heartbeatMs) {
      this.lastPingAt = now;
      c.send(`{"type":"ping","t":${now}}`);
    }
  };

  /** Pings now; no frame within probeTimeoutMs → dead. */
  private probe(): void {
    const c = this.conn;
    if (!c || !this.ready || this.timers.probe !== null) return;
    const rx = c.rx;
    this.lastPingAt = this.o.clock.now();
    c.send(`{"type":"ping","t":${this.lastPingAt}}`);
    this.timers.probe = this.o.clock.setTimeout(() => {
      this.timers.probe = null;
      if (c === this.conn && c.rx === rx) this.dead(c);
    }, this.o.heartbeat.probeTimeoutMs);
  }

  private dead(c: Connection): void {
    this.killWhy = 'heartbeat-timeout';
    c.kill(4202, 'client heartbeat timeout');
  }

  private onLifecycle(e: LifecycleEvent): void {
    if (this.closing) return;
    if (e === 'pagehide') {
      this.hidden = true;
      this.clear('retry');
      if (this.conn) this.conn.kill(1000, 'pagehide');
      else this.sm.set('closed', 'pagehide');
    } else if (e === 'pageshow' || e === 'online') {
      if (e === 'pageshow' || !this.hidden) {
        this.hidden = false;
        this.reconnectNow();
      }
      this.probe();
    } else this.probe(); // offline / visible: is the socket still alive?
  }

  // ------------------------------------------------------------------ closing

  private onClosed(conn: Connection, code: number, reason: string, hintMs?: number): void {
    if (conn !== this.conn) return;
    const why = this.killWhy ?? 'socket-closed';
    this.killWhy = null;
    this.conn = null;
    this.ready = false;
    this.clear('handshake');
    this.clear('probe');
    this.clear('flush');
    this.counters.lastCloseCode = code;
    this.counters.lastCloseReason = reason;
    this.o.logger.info('socket closed', { code, reason });
    this.outbox.requeueAll();
    for (const ch of this.channels.values()) ch.disconnected();
    this.onFlushed?.();
    if (this.closing) return this.onSocketGone?.();
    const extra = { closeCode: code, closeReason: reason };
    if (this.hidden) return this.sm.set('closed', 'pagehide', extra);
    const action = closeAction(code);
    if (action === 'stop') {
      return this.stop('terminal', fail('CONNECTION_REFUSED', `server closed with ${code} ${reason}`), extra);
    }
    if (action === 'refresh-token') {
      if (code === 4101 && this.expiredInRow++ === 0) {
        this.tokenReason = 'expired';
        return this.retry(why, extra, 0);
      }
      this.tokenReason = code === 4101 ? 'expired' : 'rejected';
      this.rejectedToken = code === 4101 ? undefined : this.tokens.last;
      if (code !== 4101 && !this.tokens.isFunction) {
        return this.stop('auth-failed', fail('AUTH_FAILED', `token rejected (${code}); call setToken()`), extra);
      }
      return this.retry(why, extra);
    }
    const hint = parseRetryAfterMs(reason) ?? hintMs;
    if (this.drainWindowMs !== null) {
      const d = this.o.random() * this.drainWindowMs;
      this.drainWindowMs = null;
      return this.retry('drain', extra, d);
    }
    this.retry(why, extra, hint === undefined ? undefined : hint * (1 + this.o.random() / 2));
  }

  /** Schedules the next attempt (`delayMs` overrides the backoff). */
  private retry(reason: TransitionReason, extra: { closeCode?: number; closeReason?: string; error?: LifelineError }, delayMs?: number): void {
    const attempt = ++this.sm.attempt;
    if (attempt > this.o.reconnect.maxAttempts) return this.stop('max-attempts', undefined, extra);
    if (delayMs === undefined) delayMs = this.prevDelay = this.o.backoff(attempt, this.prevDelay, this.o.random);
    if (!this.o.reconnect.ignoreOffline && this.o.lifecycle && !this.o.lifecycle.isOnline()) {
      return this.sm.set('closed', 'offline', extra);
    }
    this.clear('retry');
    this.sm.set('closed', reason, { ...extra, retryInMs: delayMs });
    this.timers.retry = this.o.clock.setTimeout(() => {
      this.timers.retry = null;
      this.open('retry');
    }, delayMs);
  }

  private stop(reason: TransitionReason, error?: LifelineError, extra: object = {}): void {
    this.clear('retry');
    if (error) this.error(error);
    this.sm.set('closed', reason, { ...extra, error });
  }

  private async shutdown(): Promise<void> {
    this.started = false;
    this.gen++;
    this.clear('retry');
    if (this.o.outbox.onClose === 'flush' && this.ready && this.outbox.size) {
      await new Promise<void>((resolve) => {
        this.onFlushed = resolve;
        this.timers.closing = this.o.clock.setTimeout(resolve, this.o.outbox.closeTimeoutMs);
      });
      this.onFlushed = null;
      this.clear('closing');
    }
    this.sm.set('closing', 'close-requested');
    const error = fail('CLIENT_CLOSED', 'the client was closed');
    this.outbox.failAll(error);
    for (const ch of this.channels.values()) ch.closed(error);
    const conn = this.conn;
    if (conn) {
      await new Promise<void>((resolve) => {
        this.onSocketGone = resolve;
        conn.close(1000, 'client closed');
        // A peer that never answers the close handshake must not hold close() forever.
        this.timers.closing = this.o.clock.setTimeout(() => conn.kill(1000, 'client closed'), 1000);
      });
      this.onSocketGone = null;
    }
    for (const k of Object.keys(this.timers) as Array<keyof Client['timers']>) this.clear(k);
    this.stopLifecycle?.();
    this.stopLifecycle = null;
    this.hidden = false;
    this.sm.attempt = 0;
    this.sm.set('closed', 'close-requested');
    this.closing = null;
  }

  private clear(k: keyof Client['timers']): void {
    if (this.timers[k] !== null) this.o.clock.clearTimeout(this.timers[k]);
    this.timers[k] = null;
  }
}
