import { StormError } from '../errors';
import { MAX_TIMER_MS } from '../timerLimit';
import { isLoopbackHost, parseEndpoint } from '../proxy/address';
import { closest } from '../values/closest';
import { checkTargetScenario } from './targetScenario';
import { redactTarget } from '../proxy/targetText';
import { SCENARIOS, STRATEGIES, type Scenario, type Strategy } from '../result';
import { scenarios } from './scenarios';
import { OPTION_RANGES, inRange, rangeText, type NumberRange } from './optionRanges';

/** Options of one storm run. CLI flags map 1:1 (`--publish-rate` → publishRate). */
export interface StormOptions {
  scenario: Scenario;
  /** Simulated clients. @default 1000 */
  clients?: number | undefined;
  /** Channels; client i subscribes to channel i mod channels. @default 4 */
  channels?: number | undefined;
  /**
   * Messages per second published on each channel during the run, above 0 (a run that
   * publishes nothing checks no delivery, so 0 is refused). @default 5
   */
  publishRate?: number | undefined;
  /** Client backoff jitter. @default 'full' */
  strategy?: Strategy | undefined;
  /** Let clients see the server's hints (drain window, Retry-After). @default true */
  serverHint?: boolean | undefined;
  /**
   * Server admission rate C, handshakes/s. With `target` it only states the external
   * server's rate: left out, the result's `admissionRate` and `peakOverCapacity` are null.
   * @default 1000
   */
  admissionRate?: number | undefined;
  /**
   * An external server (`ws://127.0.0.1:PORT`, `http://…` or `host:port`, loopback only)
   * instead of the embedded one. `wss://`/`https://` are refused: the chaos proxy and the
   * publisher speak plain TCP/HTTP. @default undefined
   */
  target?: string | undefined;
  /**
   * A token (JWT) for an external `target` started with a secret (`--auth-secret`): every
   * simulated client sends it in its hello, and the publisher as `Authorization: Bearer`.
   * It is static: it must outlive the run (at its `exp` the server closes with 4101 and a
   * client cannot renew it, so it stops), and its claims must allow subscribe and publish
   * on the run's channels, `storm:<seed>:<random>:<i>` (e.g. `"storm:*"`, or no
   * `subscribe` / `publish` claim). Only with `target`: the embedded server has no secret.
   * @default undefined
   */
  token?: string | undefined;
  /** Seed of every random choice in the run. @default 1 */
  seed?: number | undefined;
  /**
   * How long the run lasts after the fault, ms (100 to 3,600,000): the fault and the wait
   * for the fleet to recover both end by then (flaky: chaos lasts half of it). After it
   * the tail (500 ms of traffic, the last deliveries) takes at most {@link TAIL_GRACE_MS}
   * more, then everything is closed. @default 30000
   */
  durationMs?: number | undefined;
  /** How long the server stays down in `restart`, ms (`rolling` replaces nodes without downtime); shorter than `durationMs`. @default 2000 */
  downMs?: number | undefined;
  /** Client backoff base delay, ms, at most 2^31−1 (Node's longest timer). @default 500 */
  initialDelayMs?: number | undefined;
  /** Client backoff cap, ms, at most 2^31−1 (Node's longest timer). @default 30000 */
  maxDelayMs?: number | undefined;
  /** Server heartbeat interval (embedded server), ms, at most 2^31−1; half-open is noticed after about 2 intervals + 1 s (core's heartbeat timeout). @default 5000 */
  heartbeatMs?: number | undefined;
  /** Child processes for the clients (each with its own proxy); 0 runs them in this process. @default 0 below 1000 clients, else one per 2,500 clients (at least 2) */
  workers?: number | undefined;
  /** Client implementation: 'core' (@lifeline/core) or 'lite' (storm's minimal wire client). @default 'core' */
  client?: 'core' | 'lite' | undefined;
  /**
   * Broker of the embedded servers: 'memory' (one log shared by every node and restart),
   * 'volatile' (each server process has its own; a restart loses history), 'auto'
   * (Redis at 127.0.0.1:6379 when it answers, else memory) or a `redis://` URL.
   * 'volatile' is refused for a scenario that serves clients from several nodes at once (rolling).
   * @default 'memory' ('auto' for rolling)
   */
  broker?: string | undefined;
}

/**
 * After `durationMs`, the longest the tail may still take, ms: 500 ms of steady traffic,
 * stopping the publisher (a publish still in flight is abandoned) and the wait for the
 * last message to reach every client. Closing servers, proxies and clients comes after.
 */
export const TAIL_GRACE_MS = 5000;

/** Steady traffic before the fault and after recovery, ms. */
export const STEADY_MS = 500;
/** Past the time the warm-up's connect rate needs for the fleet, the longest it waits, ms. */
export const WARMUP_GRACE_MS = 30_000;

/** The warm-up's connects/s: 80 % of every node's admission rate, 1 to 4000. */
export function warmupConnectRate(o: ResolvedStormOptions): number {
  return Math.max(1, Math.min(0.8 * o.admissionRate * scenarios[o.scenario].nodes, 4000));
}

/** The longest the warm-up waits for the fleet, ms (clients ÷ connect rate + {@link WARMUP_GRACE_MS}). */
export function warmupLimitMs(o: ResolvedStormOptions): number {
  return (o.clients / warmupConnectRate(o)) * 1000 + WARMUP_GRACE_MS;
}

/**
 * The longest one run lasts from its first connect to the end of its tail, ms: the warm-up's
 * limit, the steady traffic before the fault, `durationMs` and {@link TAIL_GRACE_MS}
 * (closing everything comes after, with no token needed).
 */
export function longestRunMs(o: ResolvedStormOptions): number {
  return Math.ceil(warmupLimitMs(o) + STEADY_MS + o.durationMs + TAIL_GRACE_MS);
}

/** Every option filled in (`target` and `token` stay undefined when not given). */
export type ResolvedStormOptions = { [K in Exclude<keyof StormOptions, 'target' | 'broker' | 'token'>]-?: Exclude<StormOptions[K], undefined> } & { target: string | undefined; broker: string; token: string | undefined };

export const STORM_DEFAULTS = {
  clients: 1000,
  channels: 4,
  publishRate: 5,
  strategy: 'full' as Strategy,
  serverHint: true,
  admissionRate: 1000,
  seed: 1,
  durationMs: 30_000,
  downMs: 2000,
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  heartbeatMs: 5000,
  client: 'core' as const,
  broker: 'memory',
};

/** A number in `[min, max]`, or in a range of {@link OPTION_RANGES} (whose words the message uses). */
function num(name: string, v: number, min: number | NumberRange, max = Number.MAX_SAFE_INTEGER): number {
  const r = typeof min === 'number' ? { min, max } : min;
  if (!inRange(v, r)) throw new StormError('BAD_OPTION', `${name} must be ${rangeText(r)}, got ${v}`);
  return v;
}

/** A count: 1.5 clients would never all be ready (warm-up waits for ready === 1.5), seed 1.5 would run as 1. */
function int(name: string, v: number, r: NumberRange): number {
  if (!Number.isInteger(v) || !inRange(v, r)) throw new StormError('BAD_OPTION', `${name} must be an integer in [${r.min}, ${r.max}], got ${v}`);
  return v;
}

/**
 * The broker's spelling, checked with the other options: `--broker foo` used to pass the
 * CLI's checks and fail only when the servers started (with `--compare`, as "run 1/4
 * failed"), and `redis://` with no host was refused as a "non-loopback Redis" named "".
 */
function checkBroker(b: string): string {
  if (b === 'memory' || b === 'volatile' || b === 'auto') return b;
  // A password in the URL is not echoed (up to the last `@` before the path: one holding an `@` kept its tail).
  const shown = String(b).replace(/\/\/[^/?#\\]*@/, '//***@');
  if (typeof b === 'string' && /^redis:\/\//.test(b)) {
    let host = '';
    try {
      host = new URL(b).hostname.replace(/^\[|\]$/g, '');
    } catch {
      // no host: refused below
    }
    if (host === '') throw new StormError('BAD_OPTION', `broker must be a redis:// URL with a host, e.g. redis://127.0.0.1:6379, got "${shown}"`);
    if (!isLoopbackHost(host)) throw new StormError('NON_LOOPBACK', `refusing non-loopback Redis ${host}: storm traffic stays on 127.0.0.1 / ::1`);
    return b;
  }
  throw new StormError('BAD_OPTION', `broker must be memory, volatile, auto or a redis:// URL (e.g. redis://127.0.0.1:6379), got "${shown}"`);
}

/**
 * The broker a run's embedded servers start with: `rolling` uses Redis when it is there
 * (`auto`) unless a broker was chosen; every other scenario `broker`, default memory.
 * (The CLI's SIGINT line says from it whether the run has Redis keys to delete.)
 */
export function runBroker(o: StormOptions): string {
  return o.scenario === 'rolling' && o.broker === undefined ? 'auto' : o.broker ?? STORM_DEFAULTS.broker;
}

/** Every key of {@link StormOptions}: any other is refused (it used to be ignored in silence). */
const OPTION_KEYS = {
  scenario: true, clients: true, channels: true, publishRate: true, strategy: true, serverHint: true, admissionRate: true,
  target: true, token: true, seed: true, durationMs: true, downMs: true, initialDelayMs: true, maxDelayMs: true,
  heartbeatMs: true, workers: true, client: true, broker: true,
} satisfies Record<keyof StormOptions, true>;

/**
 * Fills defaults and validates; throws StormError('BAD_OPTION') with the offending option
 * (`NON_LOOPBACK` / `UNSUPPORTED_SCENARIO` for a target storm may not or cannot use). Every
 * check of an option's value `runStorm` makes is made here, so the two cannot disagree
 * (a `target: ''` passed here and was refused by runStorm; `serverHint: 'off'` passed both
 * and ran with the hint on).
 */
export function resolveOptions(o: StormOptions): ResolvedStormOptions {
  const known = Object.keys(OPTION_KEYS);
  for (const key of Object.keys(o ?? {})) {
    if (known.includes(key)) continue;
    const near = closest(key, known);
    throw new StormError('BAD_OPTION', `unknown option "${key}"${near ? ` (did you mean ${near}?)` : ''}`);
  }
  if (!SCENARIOS.includes(o.scenario)) throw new StormError('BAD_OPTION', `unknown scenario "${o.scenario}" (one of ${SCENARIOS.join(', ')})`);
  const strategy = o.strategy ?? STORM_DEFAULTS.strategy;
  if (!STRATEGIES.includes(strategy)) throw new StormError('BAD_OPTION', `unknown strategy "${strategy}" (one of ${STRATEGIES.join(', ')})`);
  const clients = int('clients', o.clients ?? STORM_DEFAULTS.clients, OPTION_RANGES.clients);
  const client = o.client ?? STORM_DEFAULTS.client;
  if (client !== 'core' && client !== 'lite') throw new StormError('BAD_OPTION', `client must be core or lite, got "${client}"`);
  const broker = checkBroker(o.broker ?? STORM_DEFAULTS.broker);
  // Each node would keep its own log while the publisher posts to one of them: clients
  // on the other would report as lost what the harness never sent them.
  if (broker === 'volatile' && scenarios[o.scenario].nodes > 1) {
    throw new StormError('BAD_OPTION', `broker volatile gives each node its own log, but ${o.scenario} serves clients from ${scenarios[o.scenario].nodes} nodes at once and the publisher reaches one: use memory, auto or a redis:// URL`);
  }
  const durationMs = num('durationMs', o.durationMs ?? STORM_DEFAULTS.durationMs, 100, 3_600_000);
  const downMs = num('downMs', o.downMs ?? STORM_DEFAULTS.downMs, 0, 600_000);
  // The run stops waiting at durationMs: a server still down then could not be recovered from.
  if (o.scenario === 'restart' && downMs >= durationMs) {
    throw new StormError('BAD_OPTION', `downMs must be shorter than durationMs (the run stops waiting at durationMs), got ${downMs} and ${durationMs}`);
  }
  const publishRate = o.publishRate ?? STORM_DEFAULTS.publishRate;
  // Nothing published is nothing checked: such a run reported "0 lost" and passed.
  if (publishRate === 0) throw new StormError('BAD_OPTION', 'publishRate must be above 0: a run that publishes nothing checks no delivery (try 0.1)');
  num('publishRate', publishRate, OPTION_RANGES.publishRate);
  if (o.serverHint !== undefined && typeof o.serverHint !== 'boolean') {
    throw new StormError('BAD_OPTION', `serverHint must be true or false, got ${JSON.stringify(o.serverHint)}`);
  }
  if (o.target !== undefined && (typeof o.target !== 'string' || o.target.trim() === '')) {
    throw new StormError('BAD_OPTION', `target must be ws://HOST:PORT, http://HOST:PORT or HOST:PORT on loopback, got ${JSON.stringify(o.target)}`);
  }
  if (o.target !== undefined && /^(wss|https):/i.test(o.target)) {
    // The chaos proxy forwards bytes and clients and publisher speak ws/http to it: a TLS
    // server behind it answered nothing the clients or the publisher could read.
    throw new StormError('BAD_OPTION', `target must be plain ws://, http:// or host:port (storm does not speak TLS), got "${redactTarget(o.target)}"`);
  }
  if (o.target !== undefined) {
    parseEndpoint(o.target);
    checkTargetScenario(o.scenario, o.target);
  }
  if (o.token !== undefined) {
    // The embedded server starts without a secret and ignores every token: a token there
    // would say the run checked authentication when it did not.
    if (o.target === undefined) throw new StormError('BAD_OPTION', 'token must come with target: it is for an external server started with a secret (--auth-secret), and the embedded server checks no token');
    if (typeof o.token !== 'string' || o.token.trim() === '') throw new StormError('BAD_OPTION', `token must be a JWT, got "${String(o.token)}"`);
  }
  // Timer delays: above Node's longest timer a backoff or heartbeat fired after 1 ms.
  const initialDelayMs = num('initialDelayMs', o.initialDelayMs ?? STORM_DEFAULTS.initialDelayMs, 1, MAX_TIMER_MS);
  const maxDelayMs = num('maxDelayMs', o.maxDelayMs ?? STORM_DEFAULTS.maxDelayMs, 1, MAX_TIMER_MS);
  // The client caps every delay at maxDelayMs, so a base above it was silently the cap:
  // `--initial-delay 5s --max-delay 1s` ran (and was reported as) a 1 s backoff.
  if (initialDelayMs > maxDelayMs) {
    throw new StormError('BAD_OPTION', `initialDelayMs must be at most maxDelayMs (the cap of every delay: a longer base would be the cap), got ${initialDelayMs} and ${maxDelayMs}`);
  }
  return {
    scenario: o.scenario,
    clients,
    channels: int('channels', o.channels ?? STORM_DEFAULTS.channels, OPTION_RANGES.channels),
    publishRate,
    strategy,
    serverHint: o.serverHint ?? STORM_DEFAULTS.serverHint,
    admissionRate: num('admissionRate', o.admissionRate ?? STORM_DEFAULTS.admissionRate, OPTION_RANGES.admissionRate),
    target: o.target,
    token: o.token,
    seed: int('seed', o.seed ?? STORM_DEFAULTS.seed, OPTION_RANGES.seed),
    durationMs,
    downMs,
    initialDelayMs,
    maxDelayMs,
    // Timer delay: above Node's longest timer a heartbeat fired after 1 ms.
    heartbeatMs: num('heartbeatMs', o.heartbeatMs ?? STORM_DEFAULTS.heartbeatMs, 50, MAX_TIMER_MS),
    workers: int('workers', o.workers ?? (clients >= 1000 ? Math.max(2, Math.ceil(clients / 2500)) : 0), OPTION_RANGES.workers),
    client,
    broker,
  };
}
