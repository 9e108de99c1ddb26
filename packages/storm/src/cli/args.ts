import { parseArgs } from 'node:util';
import { StormError } from '../errors';
import { SCENARIOS, STRATEGIES, type Scenario, type Strategy } from '../result';
import { resolveOptions, type StormOptions } from '../sim/options';
import { OPTION_RANGES, type NumberRange } from '../sim/optionRanges';
import { checkTargetScenario } from '../sim/targetScenario';
import { withFlagNames } from './flagErrors';
import { parseArgsMessage } from './parseErrors';
import { parseNumber, parseRanged } from '../values/number';
import { parseDuration, parseLatency } from '../values/duration';
import { parseSchedule, type ChaosStep } from '../proxy/schedule';

export const USAGE = `lifeline-storm — reconnect-storm simulator and chaos proxy

Usage:
  lifeline-storm <scenario> [options]
  lifeline-storm proxy --listen PORT --target URL [--latency MS] [--bandwidth BYTES_PER_S] [--queue-bytes BYTES] [--schedule STEPS]

Scenarios: ${SCENARIOS.join(', ')}

Options:
  --clients N            simulated clients (default 1000)
  --channels N           channels; client i subscribes to channel i mod N (default 4)
  --publish-rate R       messages/s published per channel (default 5)
  --strategy S           ${STRATEGIES.join('|')} (default full)
  --server-hint on|off   let clients see drain windows and Retry-After (default on)
  --admission-rate C     server handshakes/s (default 1000); with --target, the target's rate:
                         the warm-up connects at 0.8 × C/s, so pass the server's real rate
  --target URL           external server on loopback (blip, half-open, flaky only)
  --token JWT            with --target: a token for a server started with --auth-secret (every
                         client's hello, the publisher's Bearer); must outlive the run and allow
                         subscribe/publish on storm:* channels; default: $LIFELINE_STORM_TOKEN
                         (kept out of ps)
  --seed N               seed for every random choice (default 1)
  --duration T           how long the run lasts after the fault: the fault and the wait
                         for recovery end by then (flaky: chaos for half), the tail takes
                         at most 5s more; 30s, 500ms or seconds (default 30s)
  --down T               how long restart keeps the server down; under --duration (default 2s)
  --initial-delay T      client backoff base (default 500ms)
  --max-delay T          client backoff cap (default 30s)
  --heartbeat T          embedded server heartbeat; half-open detection ≈ 2× + 1s (default 5s)
  --workers N            client processes (each with its own proxy), 0 = this process (default: 0 below 1000 clients, else one per 2500, at least 2)
  --client core|lite     core: @lifeline/core, lite: storm's minimal wire client (default core)
  --broker B             memory (shared, survives restarts) | volatile (not rolling) | auto | redis://127.0.0.1:6379
                         (default memory; rolling: auto = Redis when 127.0.0.1:6379 answers)
  --compare LIST         run once per strategy, side by side: all (alone), or e.g. full,none,full:nohint
  --json FILE            write the JSON result(s); a relative FILE is relative to the
                         current directory (packages/storm under pnpm --filter … exec);
                         checked writable before the run starts
  --report FILE          write a self-contained HTML report (FILE as for --json)
  --help                 this text

Proxy options (lifeline-storm proxy; it runs until SIGINT/SIGTERM or quit, and reads
commands on stdin: cut, blackhole, restore, latency, bandwidth, stats, quit):
  --listen PORT          port to listen on, on 127.0.0.1; 0 picks a free one (printed)
  --target URL           the server to forward to, on loopback: ws://, http:// or host:port
                         (bytes are forwarded as they are: a client puts the path in its URL)
  --latency MS           one-way latency added each way; a bare number is ms, 500ms, 1s, 2m
                         work too (default 0)
  --bandwidth BYTES_PER_S  cap per connection and direction, or off (default off)
  --queue-bytes BYTES    bytes a connection queues per direction (latency, a cap) before
                         it stops reading from the sender, as a slow link does (default 1048576)
  --schedule STEPS       timed steps TIME:ACTION or TIME:ACTION=VALUE, comma-separated,
                         e.g. 2s:cut,5s:latency=300ms,8s:latency=0,10s:bandwidth=16000,12s:blackhole,15s:restore
                         TIME as --latency (a bare number is ms); latency= takes what --latency
                         takes, bandwidth= what --bandwidth takes; cut, blackhole, restore no value

Exit status: 0 ok, 1 bad usage, failed run or nothing published, 2 messages were lost, duplicated or reordered,
3 not every client came back, 130/143 stopped by SIGINT/SIGTERM (after cleaning up)
(pnpm --filter … exec reports every failure as 1).`;

/** One run of a comparison: a strategy and whether the server hint is visible. */
export interface Variant {
  strategy: Strategy;
  serverHint: boolean;
}

export type Command =
  | { kind: 'help' }
  | { kind: 'storm'; options: StormOptions; variants: Variant[] | null; json?: string; report?: string }
  | { kind: 'proxy'; listenPort: number; target: string; latencyMs: number; bytesPerSec: number | null; schedule: ChaosStep[]; queueHighWaterMark?: number };

export { parseDuration } from '../values/duration';

function optional(flag: string, text: string | undefined, range: NumberRange): number | undefined {
  return text === undefined ? undefined : parseRanged(`--${flag}`, text, range);
}

/** Parses `all` or `full,none,full:nohint` into variants (hint defaults to `hintDefault`). */
export function parseVariants(text: string, hintDefault: boolean): Variant[] {
  const listed = text.split(',').map((s) => s.trim()).filter(Boolean);
  // `all,full` was refused as `unknown strategy "all"`, which it is not: it is a list of its own.
  const alone = listed.length === 1 && listed[0] === 'all';
  if (!alone && listed.some((item) => item.split(':')[0] === 'all')) {
    throw new StormError('BAD_OPTION', `--compare: "all" stands for every strategy (${STRATEGIES.join(', ')}) and must be used alone, as --compare all (with --server-hint off for them all without the hint), got "${text}"`);
  }
  const items = alone ? [...STRATEGIES] : listed;
  if (items.length === 0) throw new StormError('BAD_OPTION', `--compare wants at least one strategy (all, or e.g. full,none), got "${text}"`);
  return items.map((item) => {
    // Split at the first colon only: `full:hint:x` was read as `full:hint`, the rest dropped.
    const colon = item.indexOf(':');
    const [s, h] = colon < 0 ? [item, undefined] : [item.slice(0, colon), item.slice(colon + 1)];
    if (!STRATEGIES.includes(s as Strategy)) throw new StormError('BAD_OPTION', `--compare: unknown strategy "${s}" (one of ${STRATEGIES.join(', ')}, or all)`);
    if (h !== undefined && h !== 'hint' && h !== 'nohint') {
      throw new StormError('BAD_OPTION', `--compare: "${item}" has an unknown suffix ":${h}" (a strategy takes :hint or :nohint, e.g. ${s}:nohint)`);
    }
    return { strategy: s as Strategy, serverHint: h === undefined ? hintDefault : h === 'hint' };
  });
}

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  clients: { type: 'string' }, channels: { type: 'string' }, 'publish-rate': { type: 'string' },
  strategy: { type: 'string' }, 'server-hint': { type: 'string' }, 'admission-rate': { type: 'string' },
  target: { type: 'string' }, token: { type: 'string' }, seed: { type: 'string' }, duration: { type: 'string' }, down: { type: 'string' },
  'initial-delay': { type: 'string' }, 'max-delay': { type: 'string' }, heartbeat: { type: 'string' },
  workers: { type: 'string' }, client: { type: 'string' }, broker: { type: 'string' }, compare: { type: 'string' },
  json: { type: 'string' }, report: { type: 'string' },
  listen: { type: 'string' }, latency: { type: 'string' }, bandwidth: { type: 'string' }, schedule: { type: 'string' }, 'queue-bytes': { type: 'string' },
} as const;

/** Flags of `lifeline-storm proxy` alone: a scenario run refuses them. */
const PROXY_ONLY = ['listen', 'latency', 'bandwidth', 'schedule', 'queue-bytes'] as const;
/**
 * Flags of a scenario run alone (every flag but the proxy's, `--target` and `--help`): `proxy`
 * refuses them, as a run refuses the proxy's (`proxy --token x` used to start a proxy that
 * used no token, silently).
 */
const RUN_ONLY = (Object.keys(OPTIONS) as (keyof typeof OPTIONS)[]).filter((f) => f !== 'help' && f !== 'target' && !(PROXY_ONLY as readonly string[]).includes(f));

/** The environment variable `--token` is read from when the flag is not given (out of `ps`). */
export const TOKEN_ENV = 'LIFELINE_STORM_TOKEN';

/**
 * `--clients -5` as `--clients=-5`: parseArgs takes a value starting with `-` for an
 * option ("argument is ambiguous", in Node's words and without the flag's own check), so a
 * negative number reached the user as a parser message instead of `--clients wants a
 * whole number in [1, 100000], got "-5"`. Only a value that reads as a number is joined.
 */
function joinNegativeValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const name = /^--([a-z-]+)$/.exec(arg)?.[1];
    const next = argv[i + 1];
    if (name !== undefined && (OPTIONS as Record<string, { type: string }>)[name]?.type === 'string' && next !== undefined && /^-[\d.]/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

/**
 * `--schedule STEPS`, at least one step. An empty value (an unset `$VAR`) or only commas
 * started the proxy with `schedule: none`, the chaos the user asked for silently left out,
 * where every other flag refuses an empty value.
 */
function scheduleFlag(text: string): ChaosStep[] {
  const steps = parseSchedule(text);
  if (steps.length === 0) throw new StormError('BAD_OPTION', `--schedule needs at least one step (e.g. 1000:cut,3000:latency=200), got "${text}"`);
  return steps;
}

/**
 * Turns argv (without node and the script) into a command; throws StormError on bad input.
 * `env`: where {@link TOKEN_ENV} is read when `--token` is not given.
 */
export function parseCommand(argv: string[], env: Record<string, string | undefined> = process.env): Command {
  let parsed;
  try {
    parsed = parseArgs({
      args: joinNegativeValues(argv),
      allowPositionals: true,
      strict: true,
      options: OPTIONS,
    });
  } catch (cause) {
    throw new StormError('BAD_OPTION', parseArgsMessage(cause, Object.keys(OPTIONS)), { cause });
  }
  const v = parsed.values;
  const [first, ...rest] = parsed.positionals;
  if (v.help || first === 'help') return { kind: 'help' };
  // Usage error (exit 1), not the help's exit 0: a script that lost its scenario passed.
  if (first === undefined) throw new StormError('BAD_OPTION', `no scenario given (one of ${SCENARIOS.join(', ')}, or proxy)`);
  if (rest.length) throw new StormError('BAD_OPTION', `unexpected argument "${rest[0]}"`);
  if (first === 'proxy') {
    // Flags the proxy would ignore: accepted, they said it did something it did not.
    const runOnly = RUN_ONLY.find((f) => v[f] !== undefined);
    if (runOnly) throw new StormError('BAD_OPTION', `--${runOnly} is an option of a scenario run, not of lifeline-storm proxy`);
    if (v.listen === undefined || v.target === undefined) throw new StormError('BAD_OPTION', 'proxy needs --listen PORT and --target URL');
    // A bare number (decimals too) is ms, as documented (--latency MS); the console's `latency` takes the same.
    const latencyMs = v.latency === undefined ? 0 : parseLatency('--latency', v.latency);
    return {
      kind: 'proxy',
      listenPort: parseNumber('--listen', v.listen, 'port'),
      target: v.target,
      latencyMs,
      bytesPerSec: v.bandwidth === undefined || v.bandwidth === 'off' ? null : parseNumber('--bandwidth', v.bandwidth, 'bytesPerSec'),
      schedule: v.schedule === undefined ? [] : scheduleFlag(v.schedule),
      ...(v['queue-bytes'] === undefined ? {} : { queueHighWaterMark: parseNumber('--queue-bytes', v['queue-bytes'], 'bytes') }),
    };
  }
  if (!SCENARIOS.includes(first as Scenario)) throw new StormError('BAD_OPTION', `unknown scenario "${first}" (one of ${SCENARIOS.join(', ')}, or proxy)`);
  // Flags a storm run would ignore: accepted, they said the run did something it did not.
  const proxyOnly = PROXY_ONLY.find((f) => v[f] !== undefined);
  if (proxyOnly) throw new StormError('BAD_OPTION', `--${proxyOnly} is an option of lifeline-storm proxy, not of a scenario run`);
  if (v.target !== undefined) {
    const unused = (['broker', 'heartbeat'] as const).find((f) => v[f] !== undefined);
    if (unused) throw new StormError('BAD_OPTION', `--${unused} sets up the embedded server, and --target runs against an external one: drop one of them`);
    checkTargetScenario(first as Scenario, v.target);
  }
  // From the environment when not on the command line, where `ps` shows it to every user.
  const fromEnv = v.token === undefined && env[TOKEN_ENV] !== undefined;
  const token = v.token ?? env[TOKEN_ENV];
  if (token !== undefined) {
    const source = fromEnv ? TOKEN_ENV : '--token';
    if (v.target === undefined) throw new StormError('BAD_OPTION', `${source} is for an external server started with --auth-secret (--target); the embedded server checks no token: ${fromEnv ? `unset ${TOKEN_ENV}` : 'drop --token'} or add --target`);
    // An unset $VAR: the clients would send an empty token and be refused with 4100.
    if (token.trim() === '') throw new StormError('BAD_OPTION', `${source} needs a JWT, got "${token}"`);
  }
  const hint = v['server-hint'];
  if (hint !== undefined && hint !== 'on' && hint !== 'off') throw new StormError('BAD_OPTION', `--server-hint must be on or off, got "${hint}"`);
  const ms = (flag: string, text: string | undefined) => (text === undefined ? undefined : parseDuration(flag, text));
  const options: StormOptions = {
    scenario: first as Scenario,
    clients: optional('clients', v.clients, OPTION_RANGES.clients),
    channels: optional('channels', v.channels, OPTION_RANGES.channels),
    publishRate: optional('publish-rate', v['publish-rate'], OPTION_RANGES.publishRate),
    strategy: v.strategy as Strategy | undefined,
    serverHint: hint === undefined ? undefined : hint === 'on',
    admissionRate: optional('admission-rate', v['admission-rate'], OPTION_RANGES.admissionRate),
    target: v.target,
    token,
    seed: optional('seed', v.seed, OPTION_RANGES.seed),
    durationMs: ms('duration', v.duration),
    downMs: ms('down', v.down),
    initialDelayMs: ms('initial-delay', v['initial-delay']),
    maxDelayMs: ms('max-delay', v['max-delay']),
    heartbeatMs: ms('heartbeat', v.heartbeat),
    workers: optional('workers', v.workers, OPTION_RANGES.workers),
    client: v.client as 'core' | 'lite' | undefined,
    broker: v.broker,
  };
  for (const k of Object.keys(options) as (keyof StormOptions)[]) if (options[k] === undefined) delete options[k];
  // Checked here so a bad value is reported by its flag before anything starts.
  withFlagNames(() => resolveOptions(options), {
    clients: v.clients, channels: v.channels, publishRate: v['publish-rate'], admissionRate: v['admission-rate'], seed: v.seed, workers: v.workers,
  });
  const variants = v.compare === undefined ? null : parseVariants(v.compare, options.serverHint ?? true);
  // An empty FILE (an unset $VAR) used to write nothing, silently.
  for (const flag of ['json', 'report'] as const) {
    if (v[flag] !== undefined && v[flag].trim() === '') throw new StormError('BAD_OPTION', `--${flag} needs a file name, got "${v[flag]}"`);
  }
  return { kind: 'storm', options, variants, ...(v.json ? { json: v.json } : {}), ...(v.report ? { report: v.report } : {}) };
}
