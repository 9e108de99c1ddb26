import * as serverPkg from '@lifeline/server';
import { createServer, memoryBroker, type Broker, type LifelineServer, type ServerStats } from '@lifeline/server';
import { StormError } from '../errors';
import { isLoopbackHost } from '../proxy/address';
import { redactTarget } from '../proxy/targetText';
import { deleteKeysWithPrefix, redisAnswers } from './redisAdmin';

export interface FleetOptions {
  admissionRate: number;
  heartbeatMs: number;
  /**
   * 'memory': one memory broker shared by every node and every restart (the log
   * outlives the process, as with Redis); 'volatile': each server process has its
   * own memory broker, so a restart loses the log (new epochs, explicit gaps);
   * 'redis://…': the Redis broker, when @lifeline/server provides it (keys under a
   * unique prefix, deleted at the end); 'auto': Redis at 127.0.0.1:6379 when it
   * answers, else 'memory'.
   */
  broker: string;
  /**
   * Longest close() waits for the nodes, then for the broker, ms: a Redis broker that
   * lost its server kept close() waiting for good. @default {@link CLOSE_TIMEOUT_MS}
   */
  closeTimeoutMs?: number;
}

/** Longest {@link EmbeddedFleet.close} waits for each of its steps, ms. */
export const CLOSE_TIMEOUT_MS = 5000;

/** Longest a drained node waits for its clients to leave before it cuts the rest, ms. */
export const DRAIN_TIMEOUT_MS = 5000;

/**
 * The embedded reference servers a scenario kills, drains and restarts. Slots hold
 * nodes; a restarted node comes back in the same slot on a new port (the chaos
 * proxy in front is the stable address clients use).
 */
export class EmbeddedFleet {
  readonly nodes: (LifelineServer | null)[] = [];
  /**
   * Nodes killed or drained. Their counters stay in the totals from the moment they
   * leave `nodes`: counted only once gone, a node draining for seconds would drop out
   * of the totals and then jump back, which a sampled total reads as a burst.
   */
  private readonly gone: LifelineServer[] = [];
  private shared: Broker | null = null;
  private redis: { url: string; prefix: string } | null = null;
  readonly notes: string[] = [];
  /** The broker the nodes use, as reports show it: `auto` resolved (Redis's url, its password hidden, or `memory`). */
  brokerUsed = '';

  private constructor(private readonly options: FleetOptions) {}

  static async start(count: number, options: FleetOptions): Promise<EmbeddedFleet> {
    const fleet = new EmbeddedFleet(options);
    await fleet.prepareBroker();
    for (let i = 0; i < count; i++) await fleet.startNode(i);
    return fleet;
  }

  private async prepareBroker(): Promise<void> {
    let b = this.options.broker;
    if (b === 'auto') {
      const url = 'redis://127.0.0.1:6379';
      const hasFactory = typeof (serverPkg as { redisBroker?: unknown }).redisBroker === 'function';
      b = hasFactory && (await redisAnswers(url)) ? url : 'memory';
      if (b === 'memory') this.notes.push('no Redis broker available (server export or 127.0.0.1:6379): using a shared memory broker');
    }
    this.brokerUsed = redactTarget(b);
    if (b === 'volatile') {
      this.notes.push('broker: volatile memory (a restart loses the log: explicit gaps expected)');
    } else if (b === 'memory') {
      this.shared = memoryBroker({ retention: 1000 });
      this.notes.push('broker: one memory broker shared by all server processes (the log survives restarts, as with Redis)');
    } else if (/^redis:\/\//.test(b)) {
      const factory = (serverPkg as unknown as { redisBroker?: (o: { url: string; keyPrefix?: string }) => Broker | Promise<Broker> }).redisBroker;
      if (typeof factory !== 'function') throw new StormError('DEPENDENCY_MISSING', '@lifeline/server does not export redisBroker yet: use --broker memory');
      const url = new URL(b);
      if (!isLoopbackHost(url.hostname.replace(/^\[|\]$/g, ''))) throw new StormError('NON_LOOPBACK', `refusing non-loopback Redis ${url.hostname}`);
      // As 'auto' does: a broker that cannot reach Redis failed every publish and
      // subscribe with a stack trace each, and the run hung at the end.
      if (!(await redisAnswers(b))) throw new StormError('DEPENDENCY_MISSING', `Redis at ${url.host} does not answer PING (--broker ${b}): start it, or use --broker memory`);
      const prefix = `lifeline-storm:${process.pid}:${Date.now()}:`;
      this.redis = { url: b, prefix };
      this.shared = await factory({ url: b, keyPrefix: prefix });
      this.notes.push(`broker: Redis at ${url.host}`);
    } else {
      throw new StormError('BAD_OPTION', `broker must be memory, volatile, auto or a redis:// URL, got "${b}"`);
    }
  }

  async startNode(slot: number): Promise<LifelineServer> {
    const server = await createServer({
      port: 0,
      maxHandshakesPerSec: this.options.admissionRate,
      heartbeatMs: this.options.heartbeatMs,
      faults: true,
      drainTimeoutMs: DRAIN_TIMEOUT_MS,
      // The storm's publisher is one backend on one address posting every channel's
      // messages: the server's per-address HTTP publish limit would throttle the load the
      // scenario asked for (a slow publisher is not what a storm measures).
      httpPublishPerSec: 1e9,
      httpPublishBurst: 1e9,
      ...(this.shared ? { broker: this.shared } : {}),
    });
    this.nodes[slot] = server;
    return server;
  }

  /** WebSocket base URLs of the live nodes. */
  urls(): string[] {
    return this.nodes.filter((n): n is LifelineServer => n !== null).map((n) => n.url);
  }

  /** A live node's HTTP base, for publishing; null while every node is down. */
  httpUrl(): string | null {
    return this.nodes.find((n) => n !== null)?.httpUrl ?? null;
  }

  /** Crash, as a killed process: every socket terminated (1006), then the server is closed (it runs in this process). */
  async kill(slot: number): Promise<void> {
    const node = this.nodes[slot];
    if (!node) return;
    this.nodes[slot] = null;
    this.gone.push(node);
    node.faults?.dropAll();
    await node.close();
  }

  /**
   * Planned shutdown with the drain hint; resolves when the node is gone: its clients
   * have left, or were cut after `timeoutMs` (at most {@link DRAIN_TIMEOUT_MS}; the
   * run's time left, so a drain does not outlast the run's duration).
   */
  async drain(slot: number, timeoutMs = DRAIN_TIMEOUT_MS): Promise<void> {
    const node = this.nodes[slot];
    if (!node) return;
    this.nodes[slot] = null;
    this.gone.push(node);
    await node.drain({ timeoutMs: Math.max(0, Math.min(DRAIN_TIMEOUT_MS, timeoutMs)) });
  }

  /** Handshakes refused by admission control on every node so far. */
  refused(): number {
    return this.total((s) => s.handshakesRefused);
  }

  /** Handshakes accepted on every node so far. */
  accepted(): number {
    return this.total((s) => s.handshakesAccepted);
  }

  private total(pick: (s: ServerStats) => number): number {
    let n = 0;
    for (const node of [...this.gone, ...this.nodes]) if (node) n += pick(node.stats());
    return n;
  }

  /** Closes the nodes and the broker, each step bounded by `closeTimeoutMs`, then deletes the run's Redis keys. */
  async close(): Promise<void> {
    const ms = this.options.closeTimeoutMs ?? CLOSE_TIMEOUT_MS;
    await bounded(Promise.allSettled(this.nodes.map((n) => n?.close())), ms);
    this.nodes.length = 0;
    await bounded(Promise.resolve(this.shared?.close()), ms);
    if (this.redis) await deleteKeysWithPrefix(this.redis.url, this.redis.prefix).catch(() => {});
  }
}

/** Waits for `p` (its failure ignored) or `ms`, whichever comes first. */
async function bounded(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p.catch(() => {}), new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}
