import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createClient, LifelineError, type ConnectionSnapshot, type StateChange, type TokenSource } from '../src';
import { createManualClock, createManualLifecycle } from '../src/testing';
import { FakeSocket, welcomeFrame } from './support/fakeSocket';

/**
 * The connection lifecycle checked against a scripted server under random sequences of
 * what servers, networks, token providers, browsers and applications do: accepts and
 * refusals (4100, 4101, 4204, 1013 with a hint, 1012 after a drain frame, HTTP 503 with a
 * hint, 1011, 1006), closes mid-handshake, welcomes then closes, silence (heartbeat), a
 * token function answering late / rejecting / giving undefined, setToken(), close() /
 * connect() / reconnectNow(), online/offline/visibility/bfcache events, clock jumps, and
 * publishes all along. Invariants, because they are what the README promises:
 * - only legal transitions, each emitted with a cause, chained (`from` = the last `to`);
 *   `open` only on a welcome of the current socket;
 * - never two live sockets, nor two the client still listens to;
 * - every scheduled retry within its bound: the backoff cap, a 1013/503 hint's
 *   [N, 1.5 N), a drain window counted from its frame, the first delay for a 4101 after a welcome or an
 *   `online`; a `closed` with no retry scheduled arms none, and one scheduled fires at its
 *   time (not before); attempts while nobody does anything stay few per simulated minute;
 * - the attempt counter goes down only on a welcome (or close());
 * - after a 4100 the refused token is not sent again until setToken() (with a static
 *   token the application may ask again itself: connect() / reconnectNow(); `online` may not);
 * - liveness: a silent server is declared dead within the heartbeat timeout and two checks;
 * - listeners that call back into the client (close(), connect(), reconnectNow(),
 *   setToken(), publish() on a state or error event) break none of the above;
 * - close() always resolves, within closeTimeoutMs + 1 s whatever the server does; at the
 *   end nothing is armed, listened to or live;
 * - publishes settle (acked with the server's offset for their id, or rejected with a
 *   typed error), none is sent twice on one connection, and whenFlushed() resolves.
 *
 * fast-check prints the seed and the shrunk command list of a failure. MODEL_RUNS=3000
 * for a deeper run (~2 s): gaveUpIgnoresOnline and connectAfterPagehide were found at
 * about one run in a thousand.
 */

const W = <T,>(arbitrary: fc.Arbitrary<T>, weight: number) => ({ arbitrary, weight });
const k = <K extends string>(k: K) => fc.constant({ k } as const);

type TokenMode = 'sync' | 'async' | 'late' | 'reject' | 'undefined';
type Cmd =
  | { k: 'accept'; exp: number | null; hb: number }
  | { k: 'tcpOpen' }
  | { k: 'refuse'; code: number; hint: number | null }
  | { k: 'http503'; ms: number }
  | { k: 'drain'; window: number; slot: [number, number] | null; closeAfter: number }
  | { k: 'welcomeClose'; code: number }
  | { k: 'serve' }
  | { k: 'advance'; ms: number }
  | { k: 'advanceServed'; ms: number }
  | { k: 'jump'; ms: number }
  | { k: 'tokenMode'; m: TokenMode }
  | { k: 'rotate' }
  | { k: 'resolveToken' }
  | { k: 'setToken'; fn: boolean }
  | { k: 'close' }
  | { k: 'connect' }
  | { k: 'reconnectNow' }
  | { k: 'life'; e: 'online' | 'offline' | 'visible' | 'pagehide' | 'pageshow' }
  | { k: 'publish'; ttl: number | null }
  | { k: 'whenFlushed' }
  | { k: 'authRefuse'; on: boolean }
  | { k: 'hook'; on: 'connecting' | 'open' | 'closed' | 'closing' | 'error'; act: Act };
type Act = 'close' | 'connect' | 'reconnectNow' | 'setToken' | 'publish';

const codes = [4100, 4100, 4101, 4101, 4204, 1011, 1006, 1001, 4200, 4202, 1013, 1013, 1009];
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  W(fc.record({ k: fc.constant('accept' as const), exp: fc.option(fc.constantFrom(8000, 60_000), { nil: null }), hb: fc.constantFrom(1000, 5000, 15_000) }), 10),
  W(k('tcpOpen'), 2),
  W(fc.record({ k: fc.constant('refuse' as const), code: fc.constantFrom(...codes), hint: fc.option(fc.constantFrom(0, 300, 5000), { nil: null }) }), 8),
  W(fc.record({ k: fc.constant('http503' as const), ms: fc.constantFrom(0, 200, 3000) }), 2),
  W(
    fc.record({
      k: fc.constant('drain' as const),
      window: fc.constantFrom(0, 1000, 20_000),
      slot: fc.option(fc.constantFrom([0, 100] as [number, number], [500, 900] as [number, number], [5000, 7000] as [number, number]), { nil: null }),
      closeAfter: fc.constantFrom(0, 50, 2000),
    }),
    3,
  ),
  W(fc.record({ k: fc.constant('welcomeClose' as const), code: fc.constantFrom(1011, 1006, 4204, 1009, 4101) }), 4),
  W(k('serve'), 8),
  W(fc.record({ k: fc.constant('advance' as const), ms: fc.constantFrom(10, 300, 2000, 12_000, 65_000) }), 8),
  W(fc.record({ k: fc.constant('advanceServed' as const), ms: fc.constantFrom(2000, 40_000) }), 3),
  W(fc.record({ k: fc.constant('jump' as const), ms: fc.constantFrom(6000, 90_000) }), 2),
  W(fc.record({ k: fc.constant('tokenMode' as const), m: fc.constantFrom<TokenMode>('sync', 'async', 'late', 'reject', 'undefined') }), 3),
  W(k('rotate'), 2),
  W(k('resolveToken'), 3),
  W(fc.record({ k: fc.constant('setToken' as const), fn: fc.boolean() }), 2),
  W(k('close'), 2),
  W(k('connect'), 2),
  W(k('reconnectNow'), 2),
  W(fc.record({ k: fc.constant('life' as const), e: fc.constantFrom('online' as const, 'offline' as const, 'visible' as const, 'pagehide' as const, 'pageshow' as const) }), 4),
  W(fc.constant({ k: 'life', e: 'online' } as const), 3),
  W(fc.record({ k: fc.constant('publish' as const), ttl: fc.option(fc.constantFrom(500, 20_000), { nil: null }) }), 6),
  W(k('whenFlushed'), 1),
  W(fc.record({ k: fc.constant('authRefuse' as const), on: fc.boolean() }), 1),
  // The next such event's listener calls back into the client (README: listeners may).
  W(
    fc.record({
      k: fc.constant('hook' as const),
      on: fc.constantFrom('connecting' as const, 'open' as const, 'closed' as const, 'closing' as const, 'error' as const),
      act: fc.constantFrom<Act>('close', 'connect', 'reconnectNow', 'setToken', 'publish'),
    }),
    3,
  ),
);

const options = fc.record({
  jitter: fc.constantFrom('full' as const, 'equal' as const, 'decorrelated' as const, 'none' as const),
  initialDelayMs: fc.constantFrom(50, 500),
  maxDelayMs: fc.constantFrom(2000, 10_000),
  maxAttempts: fc.constantFrom(Infinity, 4),
  staticToken: fc.boolean(),
  flush: fc.boolean(),
  seed: fc.integer({ min: 1, max: 233_279 }),
});
type Opts = typeof options extends fc.Arbitrary<infer O> ? O : never;

const LEGAL: Record<string, readonly string[]> = {
  closed: ['connecting', 'closed'],
  connecting: ['open', 'closed', 'closing', 'connecting'],
  open: ['closed', 'closing'],
  closing: ['closed'],
};
const REASONS = new Set([
  'connect', 'handshake', 'close-requested', 'socket-closed', 'token-error', 'heartbeat-timeout', 'ack-timeout', 'handshake-timeout',
  'drain', 'retry', 'reconnect-now', 'auth-failed', 'terminal', 'max-attempts', 'offline', 'pagehide',
]);
const NO_RETRY = new Set(['terminal', 'auth-failed', 'max-attempts', 'offline', 'pagehide', 'close-requested']);
const SETTLED_CODES = new Set(['OUTBOX_FULL', 'OUTBOX_DROPPED', 'OUTBOX_EXPIRED', 'CLIENT_CLOSED']);

/** Still open after a call that may have closed it (the client reacts synchronously). */
const isOpen = (s: FakeSocket): boolean => s.onmessage != null && s.readyState === 1;

const flush = async () => {
  for (let i = 0; i < 8; i++) await Promise.resolve();
};

/** A FakeSocket that remembers the token the client meant to send when it was made. */
class ModelSocket extends FakeSocket {
  static expectToken: () => string | undefined = () => undefined;
  /** The clock's time less the time spent in jumps: a jump's overdue timers fire at its end. */
  static steadyNow: () => number = () => 0;
  /** When the server last sent a frame (steady time), and the welcome's heartbeatMs. */
  lastPushAt = ModelSocket.steadyNow();
  hb = 0;
  override push(frame: unknown): void {
    this.lastPushAt = ModelSocket.steadyNow();
    const f = frame as { type?: string; heartbeatMs?: number };
    if (f.type === 'welcome') this.hb = f.heartbeatMs!;
    super.push(frame);
  }
  meant = ModelSocket.expectToken();
  welcomed = false;
  drain: { at: number; end: number } | null = null;
  hint: number | null = null;
  pubIds = new Set<string>();
  answered = new Set<number>();
  get attached(): boolean {
    return this.onmessage != null;
  }
  get hello(): any {
    return this.frames('hello')[0];
  }
}

async function runModel(o: Opts, cmds: Cmd[]) {
  FakeSocket.all = [];
  const problems: string[] = [];
  const clock = createManualClock(1_000_000);
  const lifecycle = createManualLifecycle();
  let seq = o.seed;
  const random = () => (seq = (seq * 9301 + 49297) % 233280) / 233280;
  // The token provider.
  let mode: TokenMode = 'sync';
  let fnTok = 'f1';
  let rotations = 1;
  let lastGiven: string | undefined;
  const late: Array<{ resolve: (t: string | undefined) => void; reject: (e: Error) => void }> = [];
  const tokenFn = (): string | undefined | Promise<string | undefined> => {
    const give = (t: string | undefined) => ((lastGiven = t), t);
    switch (mode) {
      case 'sync': return give(fnTok);
      case 'async': return Promise.resolve().then(() => give(fnTok));
      case 'undefined': return give(undefined);
      case 'reject': return Promise.reject(new Error('no token'));
      case 'late': return new Promise((resolve, reject) => late.push({ resolve: (t) => resolve(give(t)), reject }));
    }
  };
  let source: TokenSource = o.staticToken ? 's1' : tokenFn;
  ModelSocket.expectToken = () => (typeof source === 'function' ? lastGiven : source);
  // The token last refused with 4100 (the attempt's, hello sent or not), and the command
  // index of the refusal; forgotten on setToken(), a welcome, or a 4101 (what the client
  // remembers: a function alternating between two refused tokens is backed off, not stopped).
  const refused = new Map<string | undefined, number>();
  let userKickAt = -1;
  let step = 0;

  const client = createClient({
    url: 'ws://test/v1',
    WebSocket: ModelSocket as any,
    clock,
    random,
    lifecycle,
    token: source,
    handshakeTimeoutMs: 3000,
    reconnect: { jitter: o.jitter, initialDelayMs: o.initialDelayMs, maxDelayMs: o.maxDelayMs, maxAttempts: o.maxAttempts },
    heartbeat: { probeTimeoutMs: 1000 },
    outbox: { maxMessages: 6, overflow: 'drop-oldest', ackTimeoutMs: 10_000, onClose: o.flush ? 'flush' : 'fail', closeTimeoutMs: 2000 },
  });
  const sockets = () => FakeSocket.all as ModelSocket[];
  const newest = () => sockets().at(-1);
  const ch = client.channel('room');
  ch.subscribe(() => {});
  client.on('error', () => {});
  client.on('outbox', () => {});

  // ---------------------------------------------------------- state invariants
  let last: ConnectionSnapshot = { ...client.getSnapshot() };
  let prevTo = client.state; // 'connecting': the first move ran inside createClient
  let prevAttempt = client.getSnapshot().attempt;
  let passive = false; // inside a clock move with nobody acting
  let closeAsked = false;
  let lastClosedSock: ModelSocket | undefined;
  const autoAttempts: number[] = [];
  const seenReasons = new Map<string, number>();
  client.on('state', (s: StateChange) => {
    const key = `${s.from}>${s.to}:${s.reason}${s.closeCode ? ':' + s.closeCode : ''}`;
    seenReasons.set(key, (seenReasons.get(key) ?? 0) + 1);
    const where = `step ${step}: ${s.from}→${s.to} (${s.reason})`;
    if (s.from !== prevTo) problems.push(`${where}: from is not the last to (${prevTo})`);
    if (!LEGAL[s.from]?.includes(s.to)) problems.push(`${where}: illegal transition`);
    if (!REASONS.has(s.reason)) problems.push(`${where}: no known cause`);
    if (s.to === 'open' && (s.reason !== 'handshake' || !newest()?.welcomed)) problems.push(`${where}: open without a welcome`);
    if (s.to === 'connecting' && s.from === 'connecting' && s.reason !== 'connect') problems.push(`${where}: restarted without setToken`);
    if (s.reason === 'close-requested' && !closeAsked) problems.push(`${where}: close-requested without close()`);
    if (s.attempt < prevAttempt && s.to !== 'open' && s.reason !== 'close-requested') problems.push(`${where}: attempt ${prevAttempt}→${s.attempt} without a welcome`);
    if (s.to === 'closed') {
      const r = s.retryInMs;
      const snap = client.getSnapshot();
      if (r === null) {
        if (!NO_RETRY.has(s.reason)) problems.push(`${where}: closed, no retry, reason not one of the stops`);
      } else {
        if (!(r >= 0 && Number.isFinite(r))) problems.push(`${where}: retryInMs ${r}`);
        if (snap.retryAt !== clock.now() + r) problems.push(`${where}: retryAt ${snap.retryAt} != now + ${r}`);
        const sock = lastClosedSock;
        const init = o.initialDelayMs;
        if (s.reason === 'drain') {
          const d = sock?.drain;
          if (!d) problems.push(`${where}: drain without a drain frame`);
          else if (clock.now() + r > Math.max(d.end, clock.now()) + 1e-6) problems.push(`${where}: drain retry at ${clock.now() + r} after the window's end ${d.end}`);
        } else if (s.reason === 'reconnect-now' && s.from === 'closed') {
          if (r >= init) problems.push(`${where}: online wait ${r} >= initialDelayMs ${init}`);
        } else if (s.closeCode === 1013 && sock?.hint != null) {
          if (r < sock.hint || r > sock.hint * 1.5) problems.push(`${where}: 1013 wait ${r} outside [${sock.hint}, 1.5×]`);
        } else if (s.closeReason?.startsWith('http 503') && sock?.hint != null) {
          if (r < sock.hint || r > sock.hint * 1.5) problems.push(`${where}: 503 wait ${r} outside [${sock.hint}, 1.5×]`);
        } else if (s.closeCode === 4101 && sock?.welcomed && r >= init) {
          problems.push(`${where}: a 4101 after a welcome waits ${r} >= initialDelayMs ${init}`);
        } else if (r > o.maxDelayMs) problems.push(`${where}: wait ${r} > maxDelayMs ${o.maxDelayMs}`);
      }
    }
    if (s.to === 'connecting' && s.from === 'closed' && passive) {
      autoAttempts.push(clock.now());
      if (last.retryAt === null) problems.push(`${where}: attempt while closed with no retry scheduled (${last.reason})`);
      else if (clock.now() < last.retryAt) problems.push(`${where}: attempt at ${clock.now()} before its retryAt ${last.retryAt}`);
    }
    if (s.to === 'open') refused.clear();
    prevTo = s.to;
    prevAttempt = s.attempt;
    last = { ...client.getSnapshot() };
  });

  // ---------------------------------------------------------- socket bookkeeping
  let opened = 0;
  const checkHello = (s: ModelSocket) => {
    const h = s.hello;
    if (!h) return;
    if (h.token !== s.meant) problems.push(`step ${step}: hello token ${h.token} but the source gave ${s.meant}`);
  };
  // Checked when the socket is made: a socket is an attempt, opened or not.
  const seen = new Set<ModelSocket>();
  const checkNewSockets = () => {
    for (const s of sockets()) {
      if (seen.has(s)) continue;
      seen.add(s);
      opened++;
      if (opened > 5000) throw new Error('runaway: 5000 sockets');
      const at = refused.get(s.meant);
      if (at !== undefined && (typeof source === 'function' || userKickAt < at)) {
        problems.push(`step ${step}: a socket for token ${s.meant}, refused (4100) at step ${at}, without setToken()${typeof source === 'function' ? '' : ' or a connect()/reconnectNow()'}`);
      }
    }
  };
  // Server side of a close: the client's close handler runs here, so its state event sees which socket.
  const serverClose = (s: ModelSocket, code: number, reason = '') => {
    lastClosedSock = s;
    if (code === 4100) refused.clear(), refused.set(s.meant, step);
    // A 4101 before a welcome is backed off, not a stop: the same token may come again (a
    // file rotated a second late).
    if (code === 4101) refused.clear();
    s.serverClose(code, reason);
  };

  // ---------------------------------------------------------- the server
  const offsets = new Map<string, number>();
  let head = 0;
  let authRefuse = false;
  const serveSocket = (s: ModelSocket) => {
    if (!s.attached || s.readyState !== 1 || !s.welcomed) return;
    for (const f of s.frames()) {
      if (f.ref != null && s.answered.has(f.ref) && f.type !== 'ping') continue;
      if (f.type === 'ping') {
        if (s.answered.has(-f.t)) continue;
        s.answered.add(-f.t);
        s.push({ type: 'pong', t: f.t });
      } else if (f.type === 'sub') {
        s.answered.add(f.ref);
        s.push({ type: 'subscribed', ref: f.ref, channel: f.channel, epoch: 'e1', offset: head, ...(f.since ? { recovered: true, replay: 0 } : {}) });
      } else if (f.type === 'unsub') {
        s.answered.add(f.ref);
        s.push({ type: 'unsubscribed', ref: f.ref, channel: f.channel });
      } else if (f.type === 'auth') {
        s.answered.add(f.ref);
        if (authRefuse) s.push({ type: 'error', code: 'BAD_TOKEN', message: 'no', ref: f.ref });
        else s.push({ type: 'authed', ref: f.ref, tokenExpiresInMs: 8000 });
      } else if (f.type === 'pub') {
        s.answered.add(f.ref);
        let off = offsets.get(f.id);
        const duplicate = off !== undefined;
        if (off === undefined) offsets.set(f.id, (off = ++head));
        s.push({ type: 'ack', ref: f.ref, channel: f.channel, id: f.id, offset: off, epoch: 'e1', ...(duplicate && { duplicate }) });
      }
      if (s !== newest() || !s.attached) return;
    }
  };
  const serve = () => {
    for (const s of sockets()) {
      // The client started a close handshake: the server completes it.
      if (s.readyState === 2 && s.attached) serverClose(s, s.closedWith?.code ?? 1000, s.closedWith?.reason ?? '');
    }
    const s = newest();
    if (!s || !s.attached) return;
    if (s.readyState === 0) {
      s.open();
      checkHello(s);
    }
    if (!s.attached || s.readyState !== 1) return;
    if (!s.welcomed) {
      s.welcomed = true;
      s.push(welcomeFrame({ heartbeatMs: 5000 }));
    }
    serveSocket(s);
  };
  const checkPubFrames = () => {
    for (const s of sockets()) {
      const ids = s.frames('pub').map((f) => f.id);
      if (new Set(ids).size !== ids.length) problems.push(`step ${step}: a publish sent twice on one connection: ${ids.join(',')}`);
    }
  };

  // ---------------------------------------------------------- the application
  const pubs: Array<{ n: number; done: boolean; value?: any; error?: any }> = [];
  const flushes: Array<{ done: boolean }> = [];
  // Simulated time spent in clock jumps (a timer due during one fires late, at its end).
  let jumped = 0;
  ModelSocket.steadyNow = () => clock.now() - jumped;
  const closes: Array<{ done: boolean; at: number }> = [];
  const track = <T,>(p: Promise<T>) => {
    const r: { n: number; done: boolean; value?: T; error?: any } = { n: pubs.length, done: false };
    p.then(
      (v) => Object.assign(r, { value: v, done: true }),
      (e) => Object.assign(r, { error: e, done: true }),
    );
    return r;
  };

  const passiveMove = (fn: () => void) => {
    passive = true;
    try {
      fn();
    } finally {
      passive = false;
    }
  };
  // Time passing with nobody acting, in steps: the microtasks between (a token function's
  // answer) run as they would between real timers.
  const passiveAdvance = async (ms: number) => {
    for (let left = ms; left > 0; left -= 250) {
      passiveMove(() => clock.advance(Math.min(250, left)));
      await flush();
      checkNewSockets();
    }
  };

  const act = (a: Act) => {
    switch (a) {
      case 'close': {
        closeAsked = true;
        const r = { done: false, at: clock.now() - jumped };
        closes.push(r);
        client.close().then(() => (r.done = true));
        break;
      }
      case 'connect':
        userKickAt = step;
        client.connect();
        break;
      case 'reconnectNow':
        userKickAt = step;
        client.reconnectNow();
        break;
      case 'setToken':
        source = `s${++rotations}`;
        refused.clear();
        client.setToken(source);
        break;
      case 'publish':
        pubs.push(track(client.publish('room', pubs.length, { id: `m${pubs.length}` })));
        break;
    }
  };
  const hooks: Array<{ on: string; act: Act }> = [];
  const runHook = (on: string) => {
    const i = hooks.findIndex((h) => h.on === on);
    if (i < 0) return;
    // The application acts: what follows is not the client acting on its own.
    const was = passive;
    passive = false;
    try {
      act(hooks.splice(i, 1)[0]!.act);
    } finally {
      passive = was;
    }
  };
  client.on('state', (s: StateChange) => runHook(s.to));
  client.on('error', () => runHook('error'));

  const apply = async (c: Cmd) => {
    const s = newest();
    switch (c.k) {
      case 'accept':
        if (s?.attached && s.readyState === 0) {
          s.open();
          checkHello(s);
          if (isOpen(s)) {
            s.welcomed = true;
            s.push(welcomeFrame({ heartbeatMs: c.hb, ...(c.exp != null && { tokenExpiresInMs: c.exp }) }));
          }
        }
        break;
      case 'tcpOpen':
        if (s?.attached && s.readyState === 0) (s.open(), checkHello(s));
        break;
      case 'refuse':
        if (s?.attached && s.readyState < 2) {
          if (c.code === 1013 && c.hint !== null) s.hint = c.hint;
          serverClose(s, c.code, c.code === 1013 && c.hint !== null ? `try again; retry-after-ms=${c.hint}` : 'refused');
        }
        break;
      case 'http503':
        if (s?.attached && s.readyState === 0) {
          s.hint = c.ms;
          lastClosedSock = s;
          s.refuse(503, { 'x-retry-after-ms': String(c.ms) });
        }
        break;
      case 'drain':
        if (s?.attached && s.readyState === 1 && s.welcomed) {
          s.drain = { at: clock.now(), end: clock.now() + c.window };
          s.push({ type: 'drain', reconnectWindowMs: c.window, ...(c.slot && { reconnectSlotMs: c.slot }) });
          passiveMove(() => clock.advance(c.closeAfter));
          if (s.attached && s.readyState < 2) serverClose(s, 1012, 'draining');
        }
        break;
      case 'welcomeClose':
        if (s?.attached && s.readyState === 0) {
          s.open();
          checkHello(s);
          if (isOpen(s)) {
            s.welcomed = true;
            s.push(welcomeFrame());
            if (isOpen(s)) serverClose(s, c.code, 'bye');
          }
        }
        break;
      case 'serve':
        serve();
        break;
      case 'advance':
        await passiveAdvance(c.ms);
        break;
      case 'advanceServed':
        for (let t = 0; t < c.ms; t += 500) {
          serve();
          await flush();
          checkNewSockets();
          clock.advance(500);
        }
        break;
      case 'jump':
        jumped += c.ms;
        passiveMove(() => clock.jump(c.ms));
        break;
      case 'tokenMode':
        mode = c.m;
        break;
      case 'rotate':
        fnTok = `f${++rotations}`;
        break;
      case 'resolveToken':
        for (const l of late.splice(0)) l.resolve(fnTok);
        break;
      case 'setToken':
        source = c.fn ? tokenFn : `s${++rotations}`;
        refused.clear();
        client.setToken(source);
        break;
      case 'close':
      case 'connect':
      case 'reconnectNow':
        act(c.k);
        break;
      case 'life':
        if (c.e === 'pageshow') userKickAt = step; // resumes as the application would
        lifecycle.emit(c.e);
        break;
      case 'publish':
        pubs.push(track(client.publish('room', pubs.length, { id: `m${pubs.length}`, ...(c.ttl != null && { ttlMs: c.ttl }) })));
        break;
      case 'hook':
        hooks.push(c);
        break;
      case 'authRefuse':
        authRefuse = c.on;
        break;
      case 'whenFlushed': {
        const r = { done: false };
        flushes.push(r);
        void client.whenFlushed().then(() => (r.done = true));
        break;
      }
    }
  };

  const checkNow = () => {
    checkNewSockets();
    checkPubFrames();
    const live = sockets().filter((s) => s.readyState < 2).length;
    const attached = sockets().filter((s) => s.attached).length;
    if (live > 1) problems.push(`step ${step}: ${live} live sockets`);
    if (attached > 1) problems.push(`step ${step}: ${attached} sockets still listened to`);
    // However the server behaves: the flush wait (closeTimeoutMs), then 1 s for the close handshake.
    for (const c of closes) if (!c.done && clock.now() - jumped - c.at > 2000 + 1000) problems.push(`step ${step}: close() called at ${c.at} still pending at ${clock.now()}`);
    const snap = client.getSnapshot();
    // Liveness: silence past the timeout (the welcome's heartbeatMs × 2 + 1 s) is seen by the
    // periodic check (1 s) within two checks; after a jump the probe (1 s) decides.
    const cur = newest();
    if (snap.state === 'open' && cur?.attached && cur.hb) {
      const silent = clock.now() - jumped - cur.lastPushAt;
      if (silent > Math.min(cur.hb, 60_000) * 2 + 1000 + 2000 + 1000) problems.push(`step ${step}: open after ${silent} ms of silence (heartbeatMs ${cur.hb})`);
    }
    if (snap.state === 'closed' && snap.retryAt !== null && snap.retryAt < clock.now()) problems.push(`step ${step}: closed with a retry at ${snap.retryAt}, in the past (now ${clock.now()})`);
    if ((snap.state === 'connecting' || snap.state === 'open') && clock.pending() === 0) problems.push(`step ${step}: ${snap.state} with no timer armed (no deadline, no liveness check)`);
    if (snap.state === 'closed' && snap.retryAt !== null && clock.pending() === 0) problems.push(`step ${step}: a retry announced, no timer armed`);
  };

  checkNow();
  for (const c of cmds) {
    step++;
    await apply(c);
    await flush();
    checkNow();
    if (problems.length) break;
  }

  // ---------------------------------------------------------- quiet: a good server, a good token
  closeAsked = true; // close() may have been asked before; its close-requested may still come
  hooks.length = 0;
  for (const l of late.splice(0)) l.resolve(fnTok);
  mode = 'sync';
  await flush();
  userKickAt = step; // pageshow resumes a stopped client as connect() does
  lifecycle.emit('pageshow');
  lifecycle.emit('online');
  for (let i = 0; i < 200 && !problems.length; i++) {
    // Whatever the earlier commands left (an auth-failed stop, max-attempts, close()), the
    // application starts again with a token the server takes.
    if (client.state === 'closed' && !client.getSnapshot().retryAt) {
      source = `s${++rotations}`;
      refused.clear();
      userKickAt = step;
      client.setToken(source);
      client.connect();
      client.reconnectNow();
    }
    serve();
    await flush();
    checkNow();
    clock.advance(200);
    await flush();
    checkNow();
    if (client.state === 'open' && client.stats().outboxDepth === 0) break;
  }
  const quietOpen = client.state === 'open';
  const settledBeforeClose = pubs.every((p) => p.done);
  const flushedBeforeClose = flushes.every((f) => f.done);

  // ---------------------------------------------------------- close
  const final = client.close();
  let closed = false;
  void final.then(() => (closed = true));
  for (let i = 0; i < 40 && !closed; i++) {
    serve();
    await flush();
    clock.advance(250);
    await flush();
  }
  checkNow();
  if (!closed) problems.push('close() did not resolve');
  if (closes.some((c) => !c.done)) problems.push('an earlier close() did not resolve');
  if (client.state !== 'closed') problems.push(`state ${client.state} after close()`);
  if (clock.pending() !== 0) problems.push(`${clock.pending()} timers armed after close()`);
  if (lifecycle.listeners() !== 0) problems.push('lifecycle listened to after close()');
  if (sockets().some((s) => s.attached || s.readyState < 2)) problems.push('a socket live after close()');
  for (const p of pubs) {
    if (!p.done) problems.push(`publish ${p.n} never settled`);
    else if (p.error) {
      if (!(p.error instanceof LifelineError) || !SETTLED_CODES.has(p.error.code)) problems.push(`publish ${p.n} rejected with ${p.error?.code ?? p.error}`);
    } else if (p.value.offset !== offsets.get(`m${p.n}`)) problems.push(`publish ${p.n} resolved with ${JSON.stringify(p.value)}, the server stored it at ${offsets.get(`m${p.n}`)}`);
  }
  if (flushes.some((f) => !f.done)) problems.push('whenFlushed() never resolved');
  return { seenReasons, problems, quietOpen, settledBeforeClose, flushedBeforeClose, autoAttempts };
}

describe('connection lifecycle against a scripted server (model-based)', () => {
  it('legal transitions with causes, one live socket, bounded retries, token refusals respected, clean close, publishes settle', async () => {
    let runs = 0;
    let reachedOpen = 0;
    let maxPerMinute = 0;
    const seen = new Set<string>();
    const property = fc.asyncProperty(options, fc.array(cmd, { minLength: 1, maxLength: 50 }), async (o, cmds) => {
      const r = await runModel(o, cmds);
      runs++;
      for (const key of r.seenReasons.keys()) seen.add(key.split(':')[1]!);
      if (r.quietOpen) reachedOpen++;
      // Attempts nobody asked for, in any minute of simulated time: a backoff, not a loop.
      const a = r.autoAttempts;
      for (let i = 0, j = 0; i < a.length; i++) {
        while (a[i]! - a[j]! > 60_000) j++;
        maxPerMinute = Math.max(maxPerMinute, i - j + 1);
      }
      expect(r.problems).toEqual([]);
      // Once the network is quiet, the client reaches the server and empties its outbox.
      expect(r.quietOpen).toBe(true);
      expect(r.settledBeforeClose).toBe(true);
      expect(r.flushedBeforeClose).toBe(true);
    });
    await fc.assert(property, { numRuns: Number(process.env.MODEL_RUNS ?? 250) });
    // The coverage below is read off the random runs and, so a rare reason one random draw
    // of 250 happens to miss ('token-error' did, once in a few suite runs) does not fail the
    // suite, also off a fixed draw known to reach every one.
    await fc.assert(property, { numRuns: 250, seed: 42 });
    expect(reachedOpen).toBe(runs);
    // Measured: at most ~20 in 4 × 2,000 runs; a loop without backoff makes hundreds.
    expect(maxPerMinute).toBeLessThan(100);
    // The commands reach what they are meant to (a generator that stopped reaching a state
    // would pass vacuously).
    for (const reason of ['drain', 'heartbeat-timeout', 'handshake-timeout', 'token-error', 'auth-failed', 'reconnect-now', 'offline', 'pagehide', 'socket-closed']) {
      expect(seen, reason).toContain(reason);
    }
  });
});
