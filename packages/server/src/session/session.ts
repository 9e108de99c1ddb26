import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { WebSocket, RawData } from 'ws';
import {
  CloseCode,
  PROTOCOL_VERSION,
  type AuthFrame,
  type ClientFrame,
  type ErrorCodeName,
  type HelloFrame,
  type ServerFrame,
  type WelcomeFrame,
} from '@lifeline/core/protocol';
import { allows, verifyToken, type TokenClaims, type VerifyResult } from '../auth';
import { MAX_TIMER_MS } from '../clock';
import { socketOf } from '../rawSocket';
import type { ServerContext } from '../context';
import { TokenBucket, WindowCounter } from '../tokenBucket';
import { SlottedBucket } from '../slottedBucket';
import { releasePresence } from './presenceHold';
import { handlePresenceEnter, handlePresenceLeave } from './presenceOps';
import type { PublishBlock } from './publishBlock';
import { handlePublish } from './publishOp';
import { handleSubscribe, handleUnsubscribe } from './subscribeOps';
import type { ChannelSubscription } from './subscription';
import { parseClientFrame } from './validate';
import { wireNumber } from '../wireValues';
import { replayBudgetOf, type ReplayAccount } from '../replayBudget';

/** Bad frames (and refused publishes) tolerated per window before close 4201. PROTOCOL.md §11. */
const BAD_FRAME_LIMIT = 100;
const REFUSAL_LIMIT = 1000;
const ABUSE_WINDOW_MS = 10_000;
/**
 * `auth` frames per connection: each costs an HMAC over up to maxFrameBytes and a check of
 * every channel held, accepted or not. A client renews at most every 5 s (§10.1); a burst
 * leaves room for setToken() calls in a row. PROTOCOL.md §11.
 */
export const AUTH_PER_SEC = 1;
export const AUTH_BURST = 10;
/**
 * Channel operations (sub, unsub, pub, presence) of one connection waiting their turn
 * before the server stops reading its socket; reading resumes below half. Operations on
 * one channel run one at a time, so a request behind one that cannot finish (a replay
 * the client does not read) waits; the server kept reading meanwhile and held every
 * later request, payload included, without bound (2,000 publishes of 64 KB: 128 MB).
 */
export const MAX_QUEUED_OPS = 256;
/**
 * After the server closes a connection with frames still queued for it, how long the
 * queue may go without shrinking before the socket is cut. The close frame waits behind
 * that queue: a peer that is not reading never got its 1013 and held up to
 * maxBufferedBytes for ws's 30 s close timeout, then saw 1006 anyway. A peer that reads,
 * however slowly, still gets its close frame.
 */
export const CLOSE_STALL_MS = 5000;
/**
 * Most a bulk sender (a replay) queues for the socket before it waits for it (paced): the
 * kernel's own buffers (MBs) keep the pipe full behind it. A quarter of the default
 * maxBufferedBytes, 4 MiB, was what each replaying client that stopped reading held.
 */
export const PACED_QUEUE_BYTES = 1024 * 1024;

type State = 'handshake' | 'open' | 'closed';

/** One /v1 connection: handshake, dispatch, limits, and its channel subscriptions. */
export class Session {
  readonly id = `s_${randomBytes(8).toString('hex')}`;
  state: State = 'handshake';
  clientId: string = this.id;
  claims: TokenClaims | undefined;
  /** Last time anything arrived from the peer (clock ms). */
  lastSeen: number;
  /** Half-open fault: nothing is read or written, and heartbeat leaves it alone. */
  stalled = false;
  readonly subs = new Map<string, ChannelSubscription>();
  /** Channels this session entered presence on → info. */
  readonly presence = new Map<string, unknown>();
  /** Channels whose presence.enter is being stored: they count against maxChannels already. */
  readonly presenceEntering = new Set<string>();
  /**
   * Extra ms its presence entries are kept after the socket closes, on top of
   * `presenceGraceMs` (at most 30 s of it then, PresenceGrace.delayMs): a drain sets it to
   * the reconnect window it gave the client, so a member coming back on another node within
   * its window neither leaves nor joins (presenceHold.ts).
   */
  presenceHoldMs = 0;
  /** Held entries being stored again with a longer TTL (presenceHold.ts), by channel. */
  readonly presenceHolds = new Map<string, Promise<unknown>>();
  readonly publishBucket: SlottedBucket;
  /**
   * `presence.enter` per connection, sized like the publish bucket but separate: each
   * enter with new info is fanned out to every subscriber like a publish, and without a
   * limit a token that may not publish at all could flood a channel that way.
   */
  readonly presenceBucket: TokenBucket;
  readonly publishRefusals: WindowCounter;
  /** FORBIDDEN answers (forbidden.ts): 1,000 + 2 × maxChannels within 10 s close 4201. */
  readonly forbiddenRefusals: WindowCounter;
  private readonly authBucket: TokenBucket;
  /** Per channel: a publish refused with a retryable code, which must be stored before any later one, and those refused behind it (publishBlock.ts). */
  readonly publishBlocks = new Map<string, PublishBlock>();
  private readonly badFrames: WindowCounter;
  private readonly channelOps = new Map<string, Promise<void>>();
  /**
   * Per channel, when the last operation queued on it has made its permission decisions
   * (onChannel's `decided`): what an `auth` waits for, not the operation's end.
   */
  private readonly channelDecided = new Map<string, Promise<void>>();
  /**
   * The last `auth` still waiting or running (onAuth is a barrier across channels), or
   * undefined once it has run: channel operations queued after it wait for it.
   */
  private authGate: Promise<void> | undefined;
  private readonly timers = new Set<unknown>();
  /** The pending step of closeAtExpiry: an accepted `auth` cancels it and arms its own. */
  private expiryTimer: unknown;
  /** Arrival number of the last `auth` (verifyAuth), and of the one whose exp the 4101 close is at (moveExpiry). */
  private authSeq = 0;
  private expirySeq = 0;
  private corked = false;
  private replayHold: ReplayAccount | undefined;
  /** The end of the queue of replay pages waiting for their turn on this connection (replayTurn). */
  private pageQueue: Promise<void> = Promise.resolve();
  /**
   * Live traffic held by this session's subscriptions while they replay, in bytes: counted
   * with the socket queue against maxBufferedBytes. An upper bound: a subscription dropped
   * from `subs` while holding (a failed subscribe) is only taken out by {@link recountHeld}.
   */
  private held = 0;
  /** Channel operations and `auth` frames started or waiting, and whether reads are paused for them. */
  private queuedOps = 0;
  private readsPaused = false;

  constructor(
    readonly ws: WebSocket,
    readonly req: IncomingMessage,
    readonly ctx: ServerContext,
  ) {
    const { clock, publishPerSec, publishBurst, handshakeTimeoutMs } = ctx.opts;
    this.lastSeen = clock.now();
    // Refusals spaced (SlottedBucket): publishing on (or entering) 100 channels past the
    // burst, every refusal told the same wait came back together, one was let through per
    // token, and a client re-sending on its hints was closed 4201 as a flood.
    this.publishBucket = new SlottedBucket(publishPerSec, publishBurst, clock);
    this.presenceBucket = new SlottedBucket(publishPerSec, publishBurst, clock);
    this.publishRefusals = new WindowCounter(REFUSAL_LIMIT, ABUSE_WINDOW_MS, clock);
    // A reconnect's worth on top (every channel it held refused as a `sub` and an enter,
    // after its token was narrowed): a legitimate client is never closed for that.
    this.forbiddenRefusals = new WindowCounter(REFUSAL_LIMIT + 2 * ctx.opts.maxChannels, ABUSE_WINDOW_MS, clock);
    this.authBucket = new TokenBucket(AUTH_PER_SEC, AUTH_BURST, clock);
    this.badFrames = new WindowCounter(BAD_FRAME_LIMIT, ABUSE_WINDOW_MS, clock);
    this.after(handshakeTimeoutMs, () => {
      if (this.state === 'handshake') this.close(CloseCode.HANDSHAKE_TIMEOUT, 'no hello within the handshake timeout');
    });
    ws.on('message', (data, isBinary) => this.onData(data, isBinary));
    // WebSocket-level control frames are frames too (PROTOCOL §7: any frame is proof of
    // life): libraries such as Python's `websockets` keep a connection alive with pings.
    ws.on('pong', () => this.touch());
    ws.on('ping', () => this.touch());
    ws.on('error', () => undefined); // 'close' follows; ws errors (e.g. 1009) are reported there
  }

  // ------------------------------------------------------------------ sending

  /** Sends a frame object. Returns false when the socket can no longer take it. */
  send(frame: ServerFrame): boolean {
    return this.sendRaw(JSON.stringify(frame), frame.type);
  }

  /**
   * Sends an already serialized frame (fan-out path: one Buffer shared by every subscriber).
   * `handedOff` (a replay's budget release) runs once the frame is with the kernel, or
   * dropped after it was accepted here; not at all when false is returned, nor once the
   * session closed (its replay account releases everything then).
   */
  sendRaw(text: string | Buffer, type: string, handedOff?: () => void): boolean {
    if (this.state === 'closed' || this.ws.readyState !== this.ws.OPEN) return false;
    if (this.stalled) {
      handedOff?.();
      return true; // half-open: the peer never sees it
    }
    const delay = this.ctx.faults.delayMs;
    if (delay > 0) this.after(delay, () => this.write(text, type, handedOff));
    else this.write(text, type, handedOff);
    return true;
  }

  /** This connection's share of the node's replay byte budget (replayBudget.ts), released when it closes. */
  get replayAccount(): ReplayAccount {
    if (this.replayHold === undefined) {
      this.replayHold = replayBudgetOf(this.ctx).account({ id: this.id, evict: () => this.closeStalledReplay(), sent: () => this.kernelBytes() });
      // First asked for by an operation still running after cleanup: it holds nothing, ever.
      if (this.state === 'closed') this.replayHold.close();
    }
    return this.replayHold;
  }

  error(code: ErrorCodeName, message: string, about: { ref?: number; channel?: string; retryAfterMs?: number } = {}): void {
    const frame: Record<string, unknown> = { type: 'error', code, message };
    if (about.ref !== undefined) frame.ref = about.ref;
    if (about.channel !== undefined) frame.channel = about.channel;
    if (about.retryAfterMs !== undefined) frame.retryAfterMs = about.retryAfterMs;
    this.sendRaw(JSON.stringify(frame), 'error');
  }

  close(code: number, reason: string): void {
    if (this.state === 'closed') return;
    // Nothing held is sent any more: the client catches up by replay.
    this.dropHeld();
    const first = this.ws.readyState === this.ws.OPEN;
    try {
      this.ws.close(code, reason.slice(0, 120));
    } catch {
      this.ws.terminate();
      return;
    }
    if (first) this.cutIfStuck(this.ws.bufferedAmount);
  }

  /**
   * Terminates the closing socket once its queue (the close frame at its end) stops
   * shrinking for CLOSE_STALL_MS: the peer is not reading and would never see the close.
   */
  private cutIfStuck(queued: number): void {
    // Empty: the close frame is with the kernel; ws's own close timeout covers the rest.
    if (queued === 0) return;
    this.after(CLOSE_STALL_MS, () => {
      if (this.ws.readyState === this.ws.CLOSED) return;
      const left = this.ws.bufferedAmount;
      if (left >= queued) this.ws.terminate();
      else this.cutIfStuck(left);
    });
  }

  terminate(): void {
    this.ws.terminate();
  }

  /** Fault hook: stop reading and writing without closing. */
  stall(): void {
    this.stalled = true;
    const raw = socketOf(this.ws);
    raw?.pause();
  }

  /** Runs `fn` after `ms` on the server clock; cancelled when the session ends. Returns a handle for {@link cancel}. */
  after(ms: number, fn: () => void): unknown {
    const handle = this.ctx.opts.clock.setTimeout(() => {
      this.timers.delete(handle);
      if (this.state !== 'closed') fn();
    }, ms);
    this.timers.add(handle);
    return handle;
  }

  /** Cancels a timer of {@link after} (a no-op once it ran). */
  cancel(handle: unknown): void {
    if (!this.timers.delete(handle)) return;
    this.ctx.opts.clock.clearTimeout(handle);
  }

  /**
   * Runs channel operations of this session one at a time per channel, in arrival order,
   * and after any `auth` that arrived before them (queueAuth). An operation may call
   * `decided` once nothing it does later depends on the claims or changes what the
   * connection holds (a `sub` before its replay): an `auth` queued behind it runs from
   * then on. Its end counts as decided too.
   */
  onChannel(channel: string, op: (decided: () => void) => Promise<void>): void {
    const prev = this.channelOps.get(channel) ?? Promise.resolve();
    // The gate as it is now, when the op is queued: read when the op starts, it could be
    // an auth queued later, which waits for this op: neither would ever run.
    const gate = this.authGate;
    let decide!: () => void;
    const decided = new Promise<void>((resolve) => (decide = resolve));
    const run = (gate === undefined ? prev : Promise.all([prev, gate]))
      .then(() => op(decide))
      .catch((err: unknown) => {
        this.ctx.opts.logger.error('channel operation failed', { channel, err: String(err) });
      })
      .then(decide);
    this.channelOps.set(channel, run);
    this.channelDecided.set(channel, decided);
    this.track(run, () => {
      if (this.channelOps.get(channel) === run) this.channelOps.delete(channel);
      if (this.channelDecided.get(channel) === decided) this.channelDecided.delete(channel);
    });
  }

  /**
   * Handles `auth` in order with the channel operations: after every one queued before it
   * has made its permission decisions (and after the previous auth), before every one
   * queued after it (onChannel waits for the gate). Run at once, the auth overtook an
   * unsub read in the same chunk and saw the channel still held (a false 4204), and an
   * enter sent before it was judged by the new token. It waits for decisions, not for
   * whole operations: behind a `sub` whose replay the client reads slowly (or which waits
   * for the node's replay budget) it was answered only after that replay, and the
   * connection was closed 4101 at the old token's expiry although renewed in time.
   */
  private queueAuth(frame: AuthFrame): void {
    // Refused before it waits or costs anything; counted as a bad frame, so a peer that goes
    // on regardless is closed 4201 like one sending garbage.
    const wait = this.authBucket.take();
    if (wait > 0) return this.bad('RATE_LIMITED', 'auth rate limit reached', { ref: frame.ref, retryAfterMs: wait });
    const [verdict, seq] = this.verifyAuth(frame);
    const before = [...this.channelDecided.values()];
    if (this.authGate !== undefined) before.push(this.authGate);
    if (before.length === 0) return this.onAuth(frame, verdict, seq);
    const run = Promise.all(before)
      .then(() => this.onAuth(frame, verdict, seq))
      .catch((err: unknown) => {
        this.ctx.opts.logger.error('auth failed', { err: String(err) });
      });
    this.authGate = run;
    this.track(run, () => {
      if (this.authGate === run) this.authGate = undefined;
    });
  }

  /**
   * Counts a queued operation (its frame is held until it runs): past MAX_QUEUED_OPS the
   * socket is not read until half of them are done. `settled` runs first when it ends.
   */
  private track(run: Promise<void>, settled: () => void): void {
    if (++this.queuedOps >= MAX_QUEUED_OPS && !this.readsPaused) {
      this.readsPaused = true;
      this.ws.pause();
    }
    void run.then(() => {
      settled();
      // Reads paused by the server itself: the peer's pongs wait unread, so its silence
      // proves nothing. Work done for it stands in for them; a session making none (a
      // peer that stopped reading its replay) still times out.
      if (this.readsPaused) this.touch();
      if (--this.queuedOps < MAX_QUEUED_OPS / 2 && this.readsPaused) {
        this.readsPaused = false;
        // A stalled session (fault hook) stays unread.
        if (!this.stalled) this.ws.resume();
      }
    });
  }

  // ------------------------------------------------------------------ receiving

  private touch(): void {
    this.lastSeen = this.ctx.opts.clock.now();
  }

  private write(text: string | Buffer, type: string, handedOff?: () => void): void {
    if (this.ws.readyState !== this.ws.OPEN || this.stalled) return handedOff?.();
    this.corkUntilNextTick();
    // ws calls back once the socket has written the frame out (or failed to).
    if (handedOff) this.ws.send(text, { binary: false }, () => handedOff());
    else this.ws.send(text, { binary: false });
    this.ctx.stats.countOut(type);
    // A consumer this far behind would hold unbounded memory; it catches up by replay.
    if (this.overLimit()) this.closeSlowConsumer();
  }

  /** Closes with 1013: more than `maxBufferedBytes` is waiting for this peer (socket queue and held live traffic together). */
  closeSlowConsumer(): void {
    this.close(CloseCode.TRY_AGAIN_LATER, 'slow consumer; retry-after-ms=1000');
  }

  /**
   * Closes with 1013: the node's replay budget is full, others' replays have waited
   * `replayStallMs`, and this connection holds the most of it without having handed any to
   * the kernel for as long (replayBudget.ts). Its client resumes from its position.
   */
  closeStalledReplay(): void {
    this.close(CloseCode.TRY_AGAIN_LATER, 'replay stalled: not read while others wait; retry-after-ms=1000');
  }

  /**
   * Bytes the kernel has taken from this socket so far: handed to libuv less what libuv
   * still queues (Node's net.Socket internals, present in Node 18-22; undefined where
   * missing). Write callbacks come a whole corked batch at a time; this moves with every
   * partial write (replayBudget.ts).
   */
  kernelBytes(): number | undefined {
    const sock = (this.ws as unknown as { _socket?: { _bytesDispatched?: unknown; _handle?: { writeQueueSize?: unknown } | null } })._socket;
    const handed = sock?._bytesDispatched;
    const queued = sock?._handle?.writeQueueSize;
    return typeof handed === 'number' && typeof queued === 'number' ? handed - queued : undefined;
  }

  /** Live traffic held for this connection's replaying subscriptions, in bytes. */
  get heldBytes(): number {
    return this.held;
  }

  /** A subscription holds `bytes` more of live traffic (ChannelSubscription.keep): 1013 past the limit. */
  holdMore(bytes: number): void {
    this.held += bytes;
    if (this.overLimit()) this.closeSlowConsumer();
  }

  /** A subscription let go of `bytes` it held (delivered or dropped). */
  holdLess(bytes: number): void {
    this.held = Math.max(0, this.held - bytes);
  }

  /** Every subscription forgets what it holds (ChannelSubscription.dropHeld). */
  dropHeld(): void {
    if (this.held === 0) return;
    for (const sub of this.subs.values()) sub.dropHeld();
    // Anything left was held by subscriptions no longer in `subs`: gone with them.
    this.held = 0;
  }

  /** More than maxBufferedBytes waiting for this peer, queued on the socket or held for a replaying subscription. */
  private overLimit(): boolean {
    const max = this.ctx.opts.maxBufferedBytes;
    const queued = this.ws.bufferedAmount;
    if (queued + this.held <= max) return false;
    if (this.held > 0) this.recountHeld();
    return queued + this.held > max;
  }

  /** Sets {@link held} to what the subscriptions in `subs` hold now, dropping what a removed one was counted for. */
  private recountHeld(): void {
    let held = 0;
    for (const sub of this.subs.values()) held += sub.heldBytes;
    this.held = held;
  }

  /**
   * For bulk senders (a replay), called after each frame: resolves at once while less
   * than a quarter of `maxBufferedBytes` is queued for the socket, else once the socket
   * has written its queue out or closed. A replay written in one go queued the whole
   * backlog at once, and a backlog above `maxBufferedBytes` (1,000 retained messages of
   * 20 KB) closed a client that was reading at full speed as a slow consumer, every time
   * it came back to catch up. A quarter, not half: the live traffic held meanwhile counts
   * against the same limit (overLimit), and a queue this size keeps the pipe full anyway
   * (the kernel's buffers hold more). At most PACED_QUEUE_BYTES even so: with the one page
   * replayTurn() lets a connection hold, it is what a client that stops reading (a paused
   * consumer, or one that never reads) leaves the server holding, however many channels it
   * replays and however long it waits.
   */
  paced(): Promise<void> {
    const raw = socketOf(this.ws);
    if (!raw || this.state === 'closed' || this.ws.readyState !== this.ws.OPEN) return Promise.resolve();
    if (this.ws.bufferedAmount <= Math.min(this.ctx.opts.maxBufferedBytes / 4, PACED_QUEUE_BYTES)) return Promise.resolve();
    // Below the stream's high-water mark no 'drain' comes: let the queue go out for a turn.
    if (!raw.writableNeedDrain) return new Promise((resolve) => setImmediate(resolve));
    return new Promise((resolve) => {
      const done = (): void => {
        // The peer took what was written: alive, though its pongs may sit unread behind
        // paused reads (a long replay with requests queued behind it).
        if (this.readsPaused) this.touch();
        raw.off('drain', done);
        raw.off('close', done);
        this.ws.off('close', done);
        resolve();
      };
      raw.on('drain', done);
      raw.on('close', done);
      this.ws.on('close', done);
    });
  }

  /**
   * Waits for this connection's turn to read and write one replay page; resolves to the
   * function that ends the turn. One page at a time per connection, first come first served:
   * each replaying subscription held a page while it waited for the socket, so a client
   * that never read (pinging to stay alive) held one page per channel for as long as it
   * stayed (on Redis, 200 messages of 60 KB each: 20 such clients, +605 MB). A reading client
   * loses nothing by it: the socket takes one page at a time anyway.
   */
  async replayTurn(): Promise<() => void> {
    let end!: () => void;
    const turn = new Promise<void>((resolve) => (end = resolve));
    const before = this.pageQueue;
    this.pageQueue = before.then(() => turn);
    await before;
    return end;
  }

  /**
   * Frames sent in the same tick (a fan-out burst, a replay) leave in one write
   * syscall instead of one each: cork the TCP socket and uncork on the next tick.
   */
  private corkUntilNextTick(): void {
    if (this.corked) return;
    const raw = socketOf(this.ws);
    if (!raw) return;
    this.corked = true;
    raw.cork();
    process.nextTick(() => {
      this.corked = false;
      raw.uncork();
    });
  }

  private onData(data: RawData, isBinary: boolean): void {
    // Closing (close() sent, e.g. 4101 token expired, 4201 abuse): ws still emits what
    // the peer sends until its close handshake ends; none of it may be acted on.
    if (this.state === 'closed' || this.stalled || this.ws.readyState !== this.ws.OPEN) return;
    this.touch();
    if (isBinary) {
      this.ctx.stats.countIn('binary');
      return this.bad('BAD_FRAME', 'binary frames are not accepted on /v1');
    }
    const parsed = parseClientFrame(rawToString(data));
    if (!parsed.ok) {
      this.ctx.stats.countIn(parsed.type ?? 'invalid');
      return this.bad(parsed.code, parsed.message, parsed);
    }
    const frame = parsed.frame;
    this.ctx.stats.countIn(frame.type);
    if (this.state === 'handshake') return this.onHandshakeFrame(frame);
    this.dispatch(frame);
  }

  private bad(code: ErrorCodeName, message: string, about: { ref?: number; channel?: string; retryAfterMs?: number } = {}): void {
    if (this.state === 'handshake') {
      this.error(code, message, about);
      return this.close(CloseCode.PROTOCOL_ERROR, 'the first frame must be a valid hello');
    }
    this.error(code, message, about);
    if (this.badFrames.hit()) this.close(CloseCode.ABUSE, 'too many bad frames');
  }

  private onHandshakeFrame(frame: ClientFrame): void {
    if (frame.type !== 'hello') {
      this.error('BAD_FRAME', `expected hello, got ${frame.type}`);
      return this.close(CloseCode.PROTOCOL_ERROR, 'the first frame must be hello');
    }
    this.onHello(frame);
  }

  private onHello(hello: HelloFrame): void {
    const { opts } = this.ctx;
    if (hello.v !== PROTOCOL_VERSION) {
      this.error('UNSUPPORTED_VERSION', `this server speaks protocol v${PROTOCOL_VERSION}`);
      return this.close(CloseCode.UNSUPPORTED_VERSION, `unsupported protocol version ${String(hello.v)}`);
    }
    if (opts.authSecret !== undefined) {
      const verdict = verifyToken(hello.token, opts.authSecret, opts.clock.now());
      if (!verdict.ok) {
        const code = verdict.reason === 'expired' ? CloseCode.TOKEN_EXPIRED : CloseCode.BAD_TOKEN;
        return this.close(code, verdict.message);
      }
      this.claims = verdict.claims;
      this.closeAtExpiry(verdict.claims.exp * 1000);
    }
    if (hello.clientId) this.clientId = hello.clientId;
    this.state = 'open';
    const welcome: WelcomeFrame = {
      type: 'welcome',
      v: PROTOCOL_VERSION,
      session: this.id,
      heartbeatMs: wireNumber(opts.heartbeatMs),
      limits: {
        maxFrameBytes: wireNumber(opts.maxFrameBytes),
        maxChannels: wireNumber(opts.maxChannels),
        publishPerSec: wireNumber(opts.publishPerSec),
        publishBurst: wireNumber(opts.publishBurst),
      },
      serverTime: opts.clock.now(),
    };
    // Tells the client this server checks tokens, so an `auth` before expiry spares it the 4101.
    if (this.claims !== undefined) welcome.tokenExpiresInMs = this.expiresInMs(this.claims);
    this.send(welcome);
  }

  private expiresInMs(claims: TokenClaims): number {
    return Math.max(0, claims.exp * 1000 - this.ctx.opts.clock.now());
  }

  /**
   * Verifies an `auth`'s token when it arrives (undefined: an open server checks nothing)
   * and, accepted, moves the 4101 close to its `exp` at once. Moved only when the auth's
   * turn came (onAuth), a renewal sent in time waited behind earlier requests (a replay
   * the client reads slowly, a wait for the replay budget) and the old token's expiry
   * closed the connection first. The claims themselves change in order (onAuth): requests
   * sent before the auth are still judged by the old ones. Moved early only when the new
   * token allows every channel the connection holds or has a request queued on: one that
   * narrows closes 4204 at its turn, and a request on that channel queued before it (a
   * `pub` behind a replay) kept the connection on the forbidden channel past the old
   * token's expiry; such an auth moves it at its turn (onAuth), unless a later auth did.
   * Returns the verdict and the auth's arrival number (`seq`).
   */
  private verifyAuth(frame: AuthFrame): [VerifyResult | undefined, number] {
    const seq = ++this.authSeq;
    const { authSecret, clock } = this.ctx.opts;
    if (authSecret === undefined) return [undefined, seq];
    const verdict = verifyToken(frame.token, authSecret, clock.now());
    // The subject is shown to others as the presence `user` and keys the HTTP rate limit:
    // a new identity (anonymous → named too) takes a new connection, so everyone sees it
    // leave and join. Every token this connection took names the hello's subject, so the
    // current one is as good as the one in force at the auth's turn.
    if (verdict.ok && verdict.claims.sub !== this.claims?.sub) {
      return [{ ok: false, reason: 'bad', message: 'token names another subject' }, seq];
    }
    if (verdict.ok) {
      const held = [...this.subs.keys(), ...this.presence.keys(), ...this.presenceEntering, ...this.channelOps.keys()];
      if (held.every((channel) => allows(verdict.claims, 'subscribe', channel))) this.moveExpiry(verdict.claims, seq);
    }
    return [verdict, seq];
  }

  /**
   * Moves the 4101 close to `claims`' exp for the auth that arrived `seq`-th, unless a later
   * one moved it already: of two renewals the later one's exp stands, in whichever order
   * they move it (one early on arrival, one at its turn).
   */
  private moveExpiry(claims: TokenClaims, seq: number): void {
    if (seq <= this.expirySeq) return;
    this.expirySeq = seq;
    this.closeAtExpiry(claims.exp * 1000);
  }

  /**
   * In-band re-authentication (PROTOCOL.md §10.1), in its turn among the channel requests:
   * the new token (verified on arrival, verifyAuth) replaces the current one for every
   * later request. A refused one leaves the connection on its current token, expiry
   * included, and counts as a bad frame: each costs an HMAC over up to maxFrameBytes, and
   * unbounded they let a peer keep the server verifying tokens.
   */
  private onAuth(frame: AuthFrame, verdict: VerifyResult | undefined, seq: number): void {
    // Queued behind channel operations, it may run after the session closed (4101, 4201,
    // 4204 by an earlier auth): nothing more is acted on then.
    if (this.state === 'closed' || this.ws.readyState !== this.ws.OPEN) return;
    const { ref } = frame;
    if (verdict === undefined) {
      this.send({ type: 'authed', ref });
      return;
    }
    if (!verdict.ok) {
      return this.bad(verdict.reason === 'expired' ? 'TOKEN_EXPIRED' : 'BAD_TOKEN', verdict.message, { ref });
    }
    const next = verdict.claims;
    // Subscriptions and presence are permissions held over time, checked when taken: one
    // the new token would refuse cannot be kept. Every operation sent before this auth
    // has decided (queueAuth): a `sub` whose replay is still being written holds its
    // channel already. One sent after it and already queued runs after this and is
    // judged by the claims it finds, so those are the new ones even when closing: on the
    // old ones an enter read behind a narrowing auth was stored and announced.
    const held = [...this.subs.keys(), ...this.presence.keys(), ...this.presenceEntering];
    if (held.some((channel) => !allows(next, 'subscribe', channel))) {
      this.claims = next;
      return this.close(CloseCode.PERMISSIONS_NARROWED, 'permissions narrowed');
    }
    this.claims = next;
    // Moved when the token was verified (verifyAuth) if it narrowed nothing then; else now.
    this.moveExpiry(next, seq);
    this.send({ type: 'authed', ref, tokenExpiresInMs: this.expiresInMs(next) });
  }

  /**
   * Closes with 4101 once the token's `exp` (ms) passes. A timer waits at most
   * MAX_TIMER_MS (~24.8 days), so a later expiry is re-armed in steps: a token valid
   * for longer got no timer at all, and its connection outlived it (PROTOCOL.md §17).
   */
  private closeAtExpiry(expMs: number): void {
    // Called again by an accepted `auth`: the old token's close must not fire.
    if (this.expiryTimer !== undefined) this.cancel(this.expiryTimer);
    const left = expMs - this.ctx.opts.clock.now();
    this.expiryTimer =
      left < MAX_TIMER_MS
        ? this.after(left, () => this.close(CloseCode.TOKEN_EXPIRED, 'token expired'))
        : this.after(MAX_TIMER_MS, () => this.closeAtExpiry(expMs));
  }

  private dispatch(frame: ClientFrame): void {
    switch (frame.type) {
      case 'hello':
        return this.bad('BAD_FRAME', 'hello was already received on this connection');
      case 'ping':
        this.send(frame.t === undefined ? { type: 'pong' } : { type: 'pong', t: frame.t });
        return;
      case 'pong':
        return;
      case 'sub':
        return this.onChannel(frame.channel, (decided) => handleSubscribe(this, frame, decided));
      case 'unsub':
        return this.onChannel(frame.channel, () => handleUnsubscribe(this, frame));
      case 'pub':
        // In order with every other op on the channel: a publish must not be stored before a
        // subscribe (or presence op) sent ahead of it has fixed its position, nor before an
        // earlier publish of this session has its answer (publishOp.ts: publish order).
        return this.onChannel(frame.channel, () => handlePublish(this, frame));
      case 'presence.enter':
        return this.onChannel(frame.channel, () => handlePresenceEnter(this, frame));
      case 'presence.leave':
        return this.onChannel(frame.channel, () => handlePresenceLeave(this, frame));
      case 'auth':
        return this.queueAuth(frame);
    }
  }

  // ------------------------------------------------------------------ teardown

  /** Called once when the socket closes: releases subscriptions, starts presence grace. */
  async cleanup(): Promise<void> {
    if (this.state === 'closed') return;
    // Closed by the peer or the network (or by ws.close outside close()): drop what the
    // subscriptions hold now, not once the operations below have settled.
    this.dropHeld();
    this.state = 'closed';
    // Replay bytes this connection held (pages, frames queued on its socket) go back to the
    // node's budget now, and a page read waiting for room is not made.
    this.replayHold?.close();
    for (const handle of this.timers) this.ctx.opts.clock.clearTimeout(handle);
    this.timers.clear();
    // Presence first, in this turn: an explicit leave from the client's next connection ends
    // the grace only of entries already handed to it (PresenceGrace.flush). Released after
    // the awaits below (a broker round trip per subscription), a leave sent meanwhile was
    // answered `presence.ok` and the member stayed listed for the whole grace period. Channel
    // operations still running need no wait here: an enter that lands after the close
    // releases its own entry (presenceOps.ts), and a leave removes it.
    this.releaseAllPresence();
    // Let in-flight channel operations settle so no subscription is re-added after release.
    await Promise.allSettled([...this.channelOps.values()]);
    const { hub } = this.ctx;
    await Promise.allSettled([...this.subs].map(([channel, sub]) => hub.remove(channel, sub)));
    this.subs.clear();
  }

  /**
   * Hands every presence entry to the grace timer (a drained connection's are held longer:
   * presenceHold.ts), except on a channel its token no longer allows (closed 4204 by a
   * narrowing `auth`): a revoked member stayed listed for the grace period, and its leave
   * came only after it.
   */
  private releaseAllPresence(): void {
    // Enters still being stored release their own entry when they land (presenceOps.ts);
    // a leave of this client meanwhile must still end it.
    for (const channel of this.presenceEntering) this.ctx.grace.expectLate(channel, this.clientId, this.id, this.claims?.sub);
    for (const [channel, info] of this.presence) {
      if (this.claims === undefined || allows(this.claims, 'subscribe', channel)) releasePresence(this, channel, info);
      else void this.ctx.broker.presenceRemove(channel, this.clientId, this.id).catch(() => undefined);
    }
    this.presence.clear();
  }
}

function rawToString(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
