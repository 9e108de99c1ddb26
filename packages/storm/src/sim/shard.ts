import { monitorEventLoopDelay } from 'node:perf_hooks';
import { StormError } from '../errors';
import { analyzeDelivery, ZERO_COUNTS, type DeliveryCounts, type GapRecord, type PublishedRecord } from '../metrics/delivery';
import type { Strategy } from '../result';
import { probedWebSocket } from './countingSocket';
import { StallLog, type Stall } from './stallLog';
import { deriveSeed, seededRandom } from './rng';
import type { SimClient, SimClientFactory } from './clients/types';
import { createChaosProxy, type ChaosProxy, type ChaosProxyStats } from '../proxy/chaosProxy';

/** Network faults the coordinator asks every shard's proxy to apply. */
export type ChaosCommand =
  | { op: 'cut'; fraction: number; seed: number }
  | { op: 'blackhole' }
  | { op: 'restore' }
  | { op: 'latency'; ms: number }
  | { op: 'target'; targets: string[] };

/** The slice of the fleet one shard (thread) runs: clients [from, to). */
export interface ShardSpec {
  /** Server WebSocket base URLs the shard's proxy forwards to. */
  targets: string[];
  from: number;
  to: number;
  channels: string[];
  strategy: Strategy;
  serverHint: boolean;
  initialDelayMs: number;
  maxDelayMs: number;
  seed: number;
  client: string;
  /** Clients this shard creates per second during warm-up (stays under admission). */
  connectRate: number;
  /** Connect straight to `targets` (no chaos proxy; only `target` commands apply). */
  direct?: boolean;
  /**
   * The fault drops every client (the scenario's `dropsEveryone`): a client connected
   * since before the fault that never dropped did not notice it (a half-open connection
   * its heartbeat has not caught yet), so it is not back. @default false
   */
  mustDrop?: boolean;
  /** A token (JWT) every client sends in its hello, for a server with a secret. @default none */
  token?: string;
}

export interface ShardStatus {
  created: number;
  ready: number;
  /** Clients that lost their connection at least once since `markFault`. */
  dropped: number;
  /**
   * Clients back: ready and, where the fault drops everyone (`mustDrop`), dropped since
   * `markFault` (a client that has not noticed the fault yet is ready but not back).
   */
  back: number;
  /** The first error with which a client gave up for good (`CODE: message`), null if none did. */
  refusal: string | null;
  /**
   * The first error frame FORBIDDEN a client reported (`FORBIDDEN: token does not allow
   * subscribe on storm:…`), null if none: the token's claims do not cover a channel, and
   * the client stays connected but never subscribed. Not reset by `markFault`.
   */
  forbidden: string | null;
}

export interface ShardReport {
  /** Attempt times, absolute ms (Date.now(): comparable across threads). */
  attempts: number[];
  /** Per client: last open time (absolute ms) if back now (see `mustDrop`), else null. */
  openSince: (number | null)[];
  /** Per client: first drop after the fault (absolute ms), null if it never dropped. */
  droppedAt: (number | null)[];
  /**
   * Per client: the time it spent offline since the fault, summed over every drop, ms
   * (back now), null if it is not back (see `mustDrop`) or never dropped. Time connected
   * between two drops is not in it: from the first drop to the last reconnect, a client
   * cut twice was said to be offline while it was connected.
   */
  offlineMs?: (number | null)[];
  refused: number;
  /** When each refusal reached its client (absolute ms). */
  refusedAt: number[];
  /** Socket closes seen by clients since `markFault` (all of them before it), by close code (`HTTP 503` for a refused upgrade). */
  closeCodes: Record<string, number>;
  /** Socket errors seen by clients since `markFault` (all of them before it), by message. */
  errors: Record<string, number>;
  /** Errors clients reported (core's `error` event) since `markFault` (all of them before it), by code. */
  clientErrors: Record<string, number>;
  /**
   * The first message of each code in `clientErrors` (`SERVER_ERROR×4` alone did not say
   * `FORBIDDEN: token does not allow subscribe on …`).
   */
  clientErrorMessages: Record<string, string>;
  /**
   * What the clients saw before `markFault` (the warm-up and the steady traffic before the
   * fault), kept apart: `refused` counts refusals after the fault only, and the close
   * codes counted over the whole run did not add up to it. Empty before `markFault`.
   */
  warmup: { refused: number; closeCodes: Record<string, number>; errors: Record<string, number>; clientErrors: Record<string, number>; clientErrorMessages?: Record<string, string> };
  /** Summed delivery counts per channel index. */
  counts: DeliveryCounts[];
  /** This process's event-loop delay since the fault, ms: a stall delays every due attempt. */
  loopDelay: { p99Ms: number; maxMs: number };
  /** This process's event-loop stalls of 50 ms or more since the fault (absolute ms). */
  stalls: Stall[];
}

interface ClientState {
  sim: SimClient | null;
  openSince: number | null;
  dropped: boolean;
  /** First drop after the fault (absolute ms). */
  droppedAt: number | null;
  /** Offline since (absolute ms) while it is down after the fault, else null. */
  offlineSince: number | null;
  /** Time offline since the fault in drops it came back from, ms. */
  offlineTotal: number;
  seqs: number[];
  gaps: GapRecord[];
}

/**
 * Runs a slice of the fleet in the current process behind its own chaos proxy
 * (each process holds its clients' sockets and the proxy's, which keeps every
 * process under the open-file limit at 10,000 clients). Creates clients at a steady rate,
 * records every attempt, open, drop, delivery and gap, and analyses deliveries
 * against the publisher's log at the end. Client i subscribes to channel i mod C.
 */
export class Shard {
  private readonly states: ClientState[] = [];
  private readonly attempts: number[] = [];
  /** When each refusal reached its client (absolute ms); their count is the refusals. */
  private refusedAt: number[] = [];
  private closeCodes: Record<string, number> = {};
  private errors: Record<string, number> = {};
  private clientErrors: Record<string, number> = {};
  private clientErrorMessages: Record<string, string> = {};
  /** The counts above as they stood at `markFault`, with the refusals before it. */
  private warmup: ShardReport['warmup'] = { refused: 0, closeCodes: {}, errors: {}, clientErrors: {}, clientErrorMessages: {} };
  private refusal: string | null = null;
  private forbidden: string | null = null;
  private creator: NodeJS.Timeout | null = null;
  private closed = false;
  private proxy: ChaosProxy | null = null;
  /** Direct mode: the servers new attempts go to, round-robin by client. */
  private targets: string[] = [];
  private url = '';
  private readonly WebSocket: ReturnType<typeof probedWebSocket>;
  private readonly loopDelay = monitorEventLoopDelay({ resolution: 10 });
  private readonly stallLog = new StallLog();

  constructor(private readonly spec: ShardSpec, private readonly factory: SimClientFactory) {
    this.WebSocket = probedWebSocket(
      {
        attempt: () => this.attempts.push(Date.now()),
        refused: () => this.refusedAt.push(Date.now()),
        closed: (code) => (this.closeCodes[code] = (this.closeCodes[code] ?? 0) + 1),
        failed: (message) => (this.errors[message] = (this.errors[message] ?? 0) + 1),
      },
      spec.serverHint,
    );
  }

  async start(): Promise<void> {
    this.loopDelay.enable();
    this.stallLog.start();
    if (this.spec.direct) this.targets = this.spec.targets;
    else {
      this.proxy = await createChaosProxy({ target: this.spec.targets });
      this.url = `${this.proxy.url}/v1`;
    }
    const total = this.spec.to - this.spec.from;
    const t0 = Date.now();
    const tick = () => {
      const due = Math.min(total, Math.ceil(((Date.now() - t0 + 10) * this.spec.connectRate) / 1000));
      while (this.states.length < due && !this.closed) this.createClient(this.spec.from + this.states.length);
      if (this.states.length >= total && this.creator) {
        clearInterval(this.creator);
        this.creator = null;
      }
    };
    this.creator = setInterval(tick, 10);
    tick();
  }

  status(): ShardStatus {
    let ready = 0;
    let dropped = 0;
    let back = 0;
    for (const s of this.states) {
      if (s.sim?.isReady()) ready++;
      if (s.dropped) dropped++;
      if (this.isBack(s)) back++;
    }
    return { created: this.states.length, ready, dropped, back, refusal: this.refusal, forbidden: this.forbidden };
  }

  /** Starts counting drops, refusals, closes and errors from now on (those before it are the warm-up's). */
  markFault(): void {
    this.warmup = { refused: this.refusedAt.length, closeCodes: this.closeCodes, errors: this.errors, clientErrors: this.clientErrors, clientErrorMessages: this.clientErrorMessages };
    this.refusedAt = [];
    this.closeCodes = {};
    this.errors = {};
    this.clientErrors = {};
    this.clientErrorMessages = {};
    this.loopDelay.reset();
    this.stallLog.reset();
    for (const s of this.states) {
      s.dropped = false;
      s.droppedAt = null;
      s.offlineSince = null;
      s.offlineTotal = 0;
    }
  }

  /** Per-channel published logs in, per-channel delivery counts out. */
  collect(published: PublishedRecord[][]): ShardReport {
    const counts: DeliveryCounts[] = this.spec.channels.map(() => ({ ...ZERO_COUNTS }));
    this.states.forEach((s, k) => {
      const ch = (this.spec.from + k) % this.spec.channels.length;
      // Same test as openSince below, so `unrecovered` adds up to the run's notBack.
      const recovered = this.isBack(s);
      const c = analyzeDelivery(published[ch] ?? [], s.seqs.map((seq) => ({ seq })), s.gaps, { recovered });
      const acc = counts[ch]!;
      for (const key of Object.keys(acc) as (keyof DeliveryCounts)[]) acc[key] += c[key];
    });
    return {
      attempts: this.attempts,
      openSince: this.states.map((s) => (this.isBack(s) ? s.openSince : null)),
      droppedAt: this.states.map((s) => s.droppedAt),
      offlineMs: this.states.map((s) => (s.droppedAt !== null && this.isBack(s) && s.offlineSince === null ? s.offlineTotal : null)),
      refused: this.refusedAt.length,
      refusedAt: this.refusedAt,
      closeCodes: this.closeCodes,
      errors: this.errors,
      clientErrors: this.clientErrors,
      clientErrorMessages: this.clientErrorMessages,
      warmup: this.warmup,
      counts,
      loopDelay: { p99Ms: Math.round(this.loopDelay.percentile(99) / 1e6), maxMs: Math.round(this.loopDelay.max / 1e6) },
      stalls: this.stallLog.recorded(),
    };
  }

  /**
   * Connected and subscribed now, and, where the fault drops everyone, dropped since it:
   * a connection up since before the fault used to count as back at 0 ms and its misses
   * as `lost`, when it never noticed the fault (still half-open) and received nothing.
   */
  private isBack(s: ClientState): boolean {
    return (s.sim?.isReady() ?? false) && (!this.spec.mustDrop || s.dropped);
  }

  /** Clients whose newest delivered message is the last one published on their channel. */
  caughtUp(lastSeqPerChannel: number[]): number {
    let n = 0;
    this.states.forEach((s, k) => {
      const last = lastSeqPerChannel[(this.spec.from + k) % this.spec.channels.length] ?? 0;
      if (last === 0 || s.seqs.includes(last)) n++;
    });
    return n;
  }

  chaos(cmd: ChaosCommand): number {
    if (this.spec.direct) {
      if (cmd.op !== 'target') throw new StormError('UNSUPPORTED_SCENARIO', `"${cmd.op}" needs the chaos proxy, and this scenario connects directly`);
      if (cmd.targets.length === 0) throw new StormError('RUN_FAILED', 'no server to send the clients to');
      if (this.states.some((s) => s.sim && typeof s.sim.setUrl !== 'function')) {
        throw new StormError('BAD_OPTION', 'this scenario moves clients with setUrl(url), and the client does not have it');
      }
      this.targets = cmd.targets;
      this.states.forEach((s, k) => s.sim?.setUrl(this.urlFor(this.spec.from + k)));
      return 0;
    }
    const p = this.proxy;
    if (!p) return 0;
    switch (cmd.op) {
      case 'cut':
        return p.cut(cmd.fraction, seededRandom(cmd.seed));
      case 'blackhole':
        return p.blackhole();
      case 'restore':
        p.restore();
        return 0;
      case 'latency':
        p.setLatency(cmd.ms);
        return 0;
      case 'target':
        p.setTarget(cmd.targets);
        return 0;
    }
  }

  proxyStats(): ChaosProxyStats | null {
    return this.proxy?.stats() ?? null;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.loopDelay.disable();
    this.stallLog.stop();
    if (this.creator) clearInterval(this.creator);
    await Promise.allSettled(this.states.map((s) => s.sim?.close()));
    await this.proxy?.close();
  }

  private urlFor(index: number): string {
    return this.spec.direct ? `${this.targets[index % this.targets.length]}/v1` : this.url;
  }

  private createClient(index: number): void {
    const state: ClientState = { sim: null, openSince: null, dropped: false, droppedAt: null, offlineSince: null, offlineTotal: 0, seqs: [], gaps: [] };
    this.states.push(state);
    const channel = index % this.spec.channels.length;
    state.sim = this.factory({
      url: this.urlFor(index),
      index,
      channels: [this.spec.channels[channel]!],
      strategy: this.spec.strategy,
      initialDelayMs: this.spec.initialDelayMs,
      maxDelayMs: this.spec.maxDelayMs,
      ...(this.spec.token !== undefined ? { token: this.spec.token } : {}),
      random: seededRandom(deriveSeed(this.spec.seed, index)),
      WebSocket: this.WebSocket,
      hooks: {
        onOpen: () => {
          state.openSince = Date.now();
          if (state.offlineSince !== null) state.offlineTotal += state.openSince - state.offlineSince;
          state.offlineSince = null;
        },
        onDrop: () => {
          const now = Date.now();
          state.openSince = null;
          if (!state.dropped) state.droppedAt = now;
          state.dropped = true;
          state.offlineSince ??= now;
        },
        onMessage: (_i, seq) => state.seqs.push(seq),
        onGap: (_i, gap) => state.gaps.push(gap),
        onError: (code, message, final) => {
          this.clientErrors[code] = (this.clientErrors[code] ?? 0) + 1;
          this.clientErrorMessages[code] ??= message;
          // Core and the lite client both say an error frame as `CODE: message`.
          if (code === 'SERVER_ERROR' && message.startsWith('FORBIDDEN:')) this.forbidden ??= message;
          if (final) this.refusal ??= `${code}: ${message}`;
        },
      },
    });
  }
}
