import type WebSocket from 'ws';
import type { Clock } from '@lifeline/core';
import { checkCount, checkDelay } from './nodeOptions';

/** Flow-control options of the Node client. */
export interface FlowControlOptions {
  /**
   * While the socket is paused, every this many ms the adapter sends a protocol
   * `ping` (so the server, which sees nothing from a paused peer otherwise, does not
   * terminate it) and lets one socket read through (so core's heartbeat watchdog sees
   * a frame). Keep it below both the server's 2 × heartbeatMs and core's
   * `heartbeat.timeoutMs`. 1 … 2^31 - 1 ms, else `BAD_OPTION`.
   * @default 10_000
   */
  pausedKeepaliveMs?: number | undefined;
  /**
   * Above this many buffered messages (all iterators of the client together) the
   * paused-socket reads stop too; the socket then stays fully paused and, if the
   * consumer stays stuck past core's heartbeat timeout, core reconnects and the
   * server replays from the client's position. Bounds memory in every case. An
   * integer >= 1, else `BAD_OPTION`.
   * @default 4096
   */
  maxBufferedMessages?: number | undefined;
}

/** Defaults of {@link FlowControlOptions}. */
export const FLOW_DEFAULTS = { pausedKeepaliveMs: 10_000, maxBufferedMessages: 4096 } as const;

/** Flow-control counters of a Node client (`transport.stats`), since it was created. */
export interface FlowStats {
  /** Times the live socket was paused. */
  pauses: number;
  /** Times it was resumed because every consumer drained below its low-water mark. */
  resumes: number;
  /** Keepalive reads let through while paused. */
  breathers: number;
  /** Protocol pings sent while paused. */
  keepalivePings: number;
  /** Times the paused socket was resumed because a publish of this client awaited its ack. */
  ackReads: number;
  /**
   * Reads let through because core pinged while the socket was paused (a ping awaits a
   * frame back: core's liveness probe after a blocked event loop kills the socket without one).
   */
  pingReads: number;
  /**
   * Reads let through because core sent its token in band (`auth`) while the socket was
   * paused: its answer schedules the next renewal, and read late the renewed token expired
   * first (a 4101, a reconnect and a replay per token lifetime for a slow consumer).
   */
  authReads: number;
}

/**
 * Pauses and resumes the client's current `ws` socket on behalf of consumers that
 * are over their high-water mark. One TCP connection carries every channel, so the
 * socket is paused while any consumer asks for it.
 */
export class SocketFlow {
  private socket: WebSocket | null = null;
  private readonly pausers = new Set<object>();
  private timer: unknown = null;
  private buffered: () => number = () => 0;
  private awaitingAcks: () => number = () => 0;
  readonly stats: FlowStats = { pauses: 0, resumes: 0, breathers: 0, keepalivePings: 0, ackReads: 0, pingReads: 0, authReads: 0 };
  private readonly keepaliveMs: number;
  private readonly maxBuffered: number;
  /** True while keepalive() sends its own ping (it lets its read through itself). */
  private inKeepalive = false;

  constructor(
    private readonly clock: Clock,
    options: FlowControlOptions = {},
  ) {
    // A NaN or 0 period pinged every millisecond while paused; a NaN bound never read for an ack.
    checkDelay('flowControl.pausedKeepaliveMs', options.pausedKeepaliveMs);
    checkCount('flowControl.maxBufferedMessages', options.maxBufferedMessages);
    this.keepaliveMs = options.pausedKeepaliveMs ?? FLOW_DEFAULTS.pausedKeepaliveMs;
    this.maxBuffered = options.maxBufferedMessages ?? FLOW_DEFAULTS.maxBufferedMessages;
  }

  /** The socket messages currently arrive on (null between connections). */
  get current(): WebSocket | null {
    return this.socket;
  }

  /** True while the current socket is paused. */
  get paused(): boolean {
    return this.socket?.isPaused ?? false;
  }

  /**
   * True once the consumers together buffer `maxBufferedMessages`: the socket lets nothing
   * through any more, and a consumer's queue takes nothing more either (it holds core back).
   */
  get atLimit(): boolean {
    return this.buffered() >= this.maxBuffered;
  }

  /** Tells the controller how many messages are buffered across consumers. */
  setBufferedCounter(counter: () => number): void {
    this.buffered = counter;
  }

  /**
   * Tells the controller how many publishes of the client await their ack (core's
   * outbox depth). An ack comes on the same TCP stream as the messages, behind them:
   * while one is awaited the socket keeps reading (up to `maxBufferedMessages`), or a
   * consumer awaiting its own publish inside the loop body would wait for it forever
   * (or for a keepalive read per message).
   */
  setAwaitingAcksCounter(counter: () => number): void {
    this.awaitingAcks = counter;
  }

  /** Called after the client sent a frame on `socket` (a publish, a ping…). */
  sent(socket: WebSocket, data?: unknown): void {
    if (socket !== this.socket || !socket.isPaused || this.inKeepalive) return;
    if (this.mustRead()) {
      this.clearTimer();
      socket.resume();
      this.stats.ackReads += 1;
    } else if (isCorePing(data) && this.buffered() < this.maxBuffered) {
      // Core pings on schedule and, after its check ran late (a loop body blocked the
      // event loop past jumpThresholdMs), as a probe: no frame within probeTimeoutMs
      // (5 s, half the keepalive period) and it kills a healthy connection. Any frame
      // is proof of life, so one read is enough: the next message over the
      // high-water mark pauses again.
      socket.resume();
      this.stats.pingReads += 1;
    } else if (isCoreAuth(data) && this.buffered() < this.maxBuffered) {
      socket.resume();
      this.stats.authReads += 1;
    }
  }

  /** Called for every socket the client constructs. */
  attach(socket: WebSocket): void {
    this.socket = socket;
    socket.once('close', () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.clearTimer();
    });
  }

  /** A consumer is over its high-water mark (called again on every message while it is). */
  requestPause(owner: object): void {
    this.pausers.add(owner);
    const socket = this.socket;
    if (!socket || socket.readyState !== socket.OPEN || socket.isPaused || this.mustRead()) return;
    socket.pause();
    this.stats.pauses += 1;
    this.scheduleKeepalive();
  }

  /** A consumer drained to its low-water mark, or ended. */
  releasePause(owner: object): void {
    if (!this.pausers.delete(owner) || this.pausers.size > 0) return;
    this.clearTimer();
    const socket = this.socket;
    if (socket?.isPaused) {
      socket.resume();
      this.stats.resumes += 1;
    }
  }

  /** Drops every pause request (client closing). */
  reset(): void {
    this.pausers.clear();
    this.clearTimer();
    if (this.socket?.isPaused) this.socket.resume();
  }

  /** A publish awaits its ack, and the overall bound leaves room to read on. */
  private mustRead(): boolean {
    return this.awaitingAcks() > 0 && this.buffered() < this.maxBuffered;
  }

  private scheduleKeepalive(): void {
    this.clearTimer();
    this.timer = this.clock.setTimeout(() => this.keepalive(), this.keepaliveMs);
  }

  private keepalive(): void {
    this.timer = null;
    const socket = this.socket;
    if (!socket || !socket.isPaused || socket.readyState !== socket.OPEN) return;
    // No `t`: core would take the pong's round trip, inflated by the pause, as its RTT.
    this.inKeepalive = true;
    try {
      socket.send('{"type":"ping"}');
    } finally {
      this.inKeepalive = false;
    }
    this.stats.keepalivePings += 1;
    if (this.buffered() < this.maxBuffered) {
      // One read gets through; the next message over the high-water mark pauses again.
      socket.resume();
      this.stats.breathers += 1;
    }
    this.scheduleKeepalive();
  }

  private clearTimer(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }
}

/** Core's in-band token renewal: `{"type":"auth",…}` (client.ts `_refresh`). */
function isCoreAuth(data: unknown): boolean {
  return typeof data === 'string' && data.startsWith('{"type":"auth"');
}

/** Core's pings, scheduled or probe: `{"type":"ping","t":…}` (client.ts `_ping`). */
function isCorePing(data: unknown): boolean {
  return typeof data === 'string' && data.startsWith('{"type":"ping"');
}
