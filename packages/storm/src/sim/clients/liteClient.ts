import type { Position } from '@lifeline/core/protocol';
import type { SimClient, SimClientFactory, SimClientSpec } from './types';
import { MAX_TIMER_MS } from '../../timerLimit';
import { liteBackoff } from './liteBackoff';
import { finalRefusal, httpStatusOf } from './liteRefusal';

interface WsLike {
  readyState: number;
  send(data: string): void;
  close(code?: number): void;
  terminate?(): void;
  onopen: (() => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev?: { message?: string }) => void) | null;
}

/**
 * Storm's minimal protocol v1 client: backoff, drain window (and slot), resubscribe with
 * `since`, dedupe by (epoch, offset), hole repair, heartbeat timeout. It exists so
 * the harness can run without @lifeline/core's client and as a second opinion on it (it
 * shares only core's protocol table: which closes are final); the numbers that matter
 * are measured with core (`client: 'core'`).
 */
class LiteClient implements SimClient {
  private ws: WsLike | null = null;
  private open = false;
  private stopped = false;
  private attempt = 0;
  private prevDelay = 0;
  /** 1009 closes in a row and the last one's delay: their own growing backoff, as core. */
  private tooBigInRow = 0;
  private tooBigDelay = 0;
  /** When the current connection was welcomed (Date.now()). */
  private openAt = 0;
  /**
   * From a `drain` frame, clock times: where to reconnect (the slot, else the whole
   * window, counted from the frame) and when the window ends.
   */
  private drainSlot: [from: number, to: number, end: number] | null = null;
  private timer: NodeJS.Timeout | null = null;
  private silence: NodeJS.Timeout | null = null;
  private silenceMs = 31_000;
  private ref = 0;
  private readonly positions: (Position | null)[];
  private readonly subscribed: boolean[];
  private readonly backoff: ReturnType<typeof liteBackoff>;

  private url: string;

  constructor(private readonly spec: SimClientSpec) {
    this.url = spec.url;
    this.positions = spec.channels.map(() => null);
    this.subscribed = spec.channels.map(() => false);
    this.backoff = liteBackoff(spec.strategy, spec.initialDelayMs, spec.maxDelayMs);
    this.connect();
  }

  isReady(): boolean {
    return this.open && this.subscribed.every(Boolean);
  }

  setUrl(url: string): void {
    this.url = url;
  }

  async close(): Promise<void> {
    this.stopped = true;
    this.clearTimers();
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onclose = ws.onmessage = ws.onopen = null;
      ws.onerror = () => {}; // closing a socket still connecting reports an error
      try {
        ws.close(1000);
      } catch {
        ws.terminate?.();
      }
    }
  }

  private connect(): void {
    if (this.stopped) return;
    const ws = new this.spec.WebSocket(this.url) as WsLike;
    this.ws = ws;
    const hello = { type: 'hello', v: 1, agent: 'lifeline-storm-lite', ...(this.spec.token !== undefined ? { token: this.spec.token } : {}) };
    ws.onopen = () => ws.send(JSON.stringify(hello));
    ws.onmessage = (ev) => this.onFrame(ws, String(ev.data));
    let httpStatus: number | null = null;
    ws.onerror = (ev) => {
      httpStatus = httpStatusOf(ev?.message) ?? httpStatus;
    };
    ws.onclose = (ev) => this.onClose(ws, ev.code, ev.reason, httpStatus);
    this.armSilence(ws);
  }

  private onFrame(ws: WsLike, text: string): void {
    if (ws !== this.ws) return;
    this.armSilence(ws);
    let f: Record<string, any>;
    try {
      f = JSON.parse(text);
    } catch {
      return this.report('BAD_FRAME', `bad frame from server: ${text.slice(0, 40)}`);
    }
    // `null` or a number parses too: reading its `type` threw out of the socket's handler.
    if (typeof f?.type !== 'string') return this.report('BAD_FRAME', `bad frame from server: ${text.slice(0, 40)}`);
    switch (f.type) {
      case 'welcome':
        this.open = true;
        this.openAt = Date.now();
        this.attempt = 0;
        this.prevDelay = 0;
        this.drainSlot = null;
        this.silenceMs = f.heartbeatMs * 2 + 1000;
        this.spec.hooks.onOpen();
        this.spec.channels.forEach((_, i) => this.subscribe(ws, i));
        return;
      case 'subscribed': {
        const i = this.spec.channels.indexOf(f.channel);
        if (i < 0) return;
        this.subscribed[i] = true;
        const pos = this.positions[i] ?? null;
        if (f.recovered === false) {
          // The retained tail (the last `replay` messages up to `offset`) follows (PROTOCOL
          // §5): the gap ends before it, or its messages would be dropped as duplicates. A
          // `replay` that is no count ends it at the head or, past the head, at 0 (as core).
          const offset = f.offset - Math.min(f.replay >>> 0, f.offset);
          this.spec.hooks.onGap(i, { from: pos, to: { epoch: f.epoch, offset } });
          this.positions[i] = { epoch: f.epoch, offset };
        } else if (!pos) {
          this.positions[i] = { epoch: f.epoch, offset: f.offset };
        }
        return;
      }
      case 'msg': {
        const i = this.spec.channels.indexOf(f.channel);
        const pos = this.positions[i];
        if (i < 0 || !pos) return;
        if (f.epoch === pos.epoch && f.offset <= pos.offset) return; // duplicate
        if (f.epoch !== pos.epoch || f.offset > pos.offset + 1) {
          // A hole on the live stream: ask again from where we are.
          this.subscribe(ws, i);
          return;
        }
        this.positions[i] = { epoch: f.epoch, offset: f.offset };
        const seq = (f.data as { s?: unknown } | null)?.s;
        if (typeof seq === 'number') this.spec.hooks.onMessage(i, seq);
        return;
      }
      case 'ping':
        ws.send(JSON.stringify({ type: 'pong', t: f.t }));
        return;
      case 'drain': {
        const w = f.reconnectWindowMs;
        this.drainSlot = null;
        // Not a number of ms a timer can wait: no hint (as core).
        if (typeof w !== 'number' || !(w >= 0 && w < 2 ** 31)) return;
        const slot = f.reconnectSlotMs;
        const ok = Array.isArray(slot) && typeof slot[0] === 'number' && typeof slot[1] === 'number' && 0 <= slot[0] && slot[0] <= slot[1] && slot[1] <= w;
        const t = Date.now();
        this.drainSlot = ok ? [t + slot[0], t + slot[1], t + w] : [t, t + w, t + w];
        return;
      }
      case 'error':
        this.report('SERVER_ERROR', `${f.code}: ${f.message}`);
        return;
      default:
    }
  }

  /** Counted by code in the run's notes; a `final` one fails the warm-up at once. */
  private report(code: string, message: string, final = false): void {
    this.spec.hooks.onError?.(code, message, final);
  }

  private subscribe(ws: WsLike, i: number): void {
    const since = this.positions[i];
    ws.send(JSON.stringify({ type: 'sub', ref: ++this.ref, channel: this.spec.channels[i], ...(since ? { since } : {}) }));
  }

  private onClose(ws: WsLike, code: number, reason: string, httpStatus: number | null): void {
    if (ws !== this.ws) return;
    this.ws = null;
    this.clearTimers();
    const welcomed = this.open;
    if (welcomed) this.spec.hooks.onDrop();
    this.open = false;
    this.subscribed.fill(false);
    const drain = this.drainSlot; // for this close only
    this.drainSlot = null;
    if (code !== 1009) this.tooBigInRow = 0;
    if (this.stopped) return;
    // Final closes under core's rules (closeAction): 1000 and 4000-4099 stop, 4100-4199
    // stop too (no token, or a static one: nothing to refresh), a refused upgrade (HTTP 4xx
    // but 408 / 429) stops.
    const refusal = finalRefusal(code, reason, httpStatus, this.spec.token !== undefined);
    if (refusal) {
      this.stopped = true; // for good, as core: nothing may reconnect it
      return this.report(refusal.code, refusal.message, true);
    }
    // Capped at Node's longest timer (~24.8 days, far past any run): a drain window from
    // the server could be longer, and Node fires such a timer after 1 ms.
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connect();
    }, Math.min(this.retryDelay(code, welcomed, drain), MAX_TIMER_MS));
    if (code === 1009) this.report('MESSAGE_TOO_LARGE', `closed 1009 ${reason}: a frame over the server's maxFrameBytes`);
  }

  /** How long to wait before the next attempt after a close that is retried, ms (core's order). */
  private retryDelay(code: number, welcomed: boolean, drain: [from: number, to: number, end: number] | null): number {
    this.attempt++;
    if (drain !== null) {
      // As core does (PROTOCOL.md §13): inside the slot, counted from the frame; if that
      // moment has passed when the close comes, anywhere in what is left of the window.
      const [from, to, end] = drain;
      const now = Date.now();
      const at = from + this.spec.random() * (to - from);
      return at >= now ? at - now : Math.max(0, this.spec.random() * (end - now));
    }
    if (code === 1009) {
      // A frame above the server's limit comes back with each reconnect and the welcome in
      // between resets the usual backoff: without a backoff of its own the client looped at
      // the first delay for ever. As core: growing while 1009s come in a row (another close
      // resets it, and so does a connection that lasted longer than the longest wait).
      if (welcomed && Date.now() - this.openAt > this.spec.maxDelayMs) this.tooBigInRow = 0;
      this.tooBigInRow++;
      this.tooBigDelay = this.backoff(this.tooBigInRow, this.tooBigInRow > 1 ? this.tooBigDelay : 0, this.spec.random);
      return this.tooBigDelay;
    }
    const delay = this.backoff(this.attempt, this.prevDelay, this.spec.random);
    this.prevDelay = delay;
    return delay;
  }

  private armSilence(ws: WsLike): void {
    if (this.silence) clearTimeout(this.silence);
    this.silence = setTimeout(() => {
      if (ws !== this.ws) return;
      // Dead without a close: tear down now, do not wait for a close handshake.
      if (ws.terminate) ws.terminate();
      else ws.close();
    }, Math.min(this.silenceMs, MAX_TIMER_MS)); // a server without a heartbeat announces 2^53−1: never silent too long
  }

  private clearTimers(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.silence) clearTimeout(this.silence);
    this.timer = this.silence = null;
  }
}

export const liteClientFactory: SimClientFactory = (spec) => new LiteClient(spec);
