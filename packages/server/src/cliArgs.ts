import { parseArgs } from 'node:util';
import { redisDbProblem } from './broker/redisUrl';

export interface CliConfig {
  port: number;
  host: string;
  /** 'memory' or a redis:// (rediss://) URL, its scheme in lower case; from `--broker`, else `LIFELINE_BROKER`. */
  broker: string;
  keyPrefix: string | undefined;
  retention: number | undefined;
  /** `--dedupe-ttl-ms`: how long a publish id is remembered, either broker (undefined: the brokers' 600000). */
  dedupeTtlMs: number | undefined;
  /** `--dedupe-window`: publish ids kept per channel and publisher, memory broker only (undefined: its 10000). */
  dedupeWindow: number | undefined;
  /** `--max-retained-bytes`: bytes of messages kept over all channels, memory broker only (undefined: its default, a quarter of the heap limit, at most 256 MiB). */
  maxRetainedBytes: number | undefined;
  /** `--max-replay-bytes`: bytes of replay pages held at once over all connections (undefined: the server's default, an eighth of the heap limit, at most 256 MiB). */
  maxReplayBytes: number | undefined;
  /** `--replay-stall-ms`: how long a full replay budget stalls others' replays before its stuck holder is closed (undefined: the library's 10000). */
  replayStallMs: number | undefined;
  /** `--max-presence-members`: members one channel's presence may hold (undefined: the library's 1000). */
  maxPresenceMembers: number | undefined;
  heartbeatMs: number | undefined;
  maxHandshakesPerSec: number | undefined;
  maxConnections: number | undefined;
  /** `--publish-per-sec`: each WebSocket connection's publish rate (burst twice that; undefined: the library's 100). */
  publishPerSec: number | undefined;
  httpPublishPerSec: number | undefined;
  httpTimeoutMs: number | undefined;
  maxPresenceInfoBytes: number | undefined;
  /** `--drain-timeout-ms`: how long a SIGTERM/SIGINT/SIGHUP drain waits before cutting the rest (undefined: the library's 10000). */
  drainTimeoutMs: number | undefined;
  /** `--drain-delay-ms`: how long a signal's drain first reports not ready while still serving (undefined: the library's 0). */
  drainDelayMs: number | undefined;
  /** `--echo` true, `--no-echo` false, neither undefined (the library's default: on only without a secret). */
  echo: boolean | undefined;
  /** `--metrics` true, `--no-metrics` false, neither undefined (the library's default: on). */
  metrics: boolean | undefined;
  authSecret: string | undefined;
  allowedOrigins: string[] | undefined;
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  testFaults: boolean;
  help: boolean;
  /** Settings that work but are probably not what was meant, one line each, for stderr. */
  warnings: string[];
}

export const USAGE = `Usage: lifeline-server [options]
  --port <n>                    TCP port, 0 = any free port        (default 8080)
  --host <addr>                 interface to bind; 0.0.0.0 or :: = all (default 127.0.0.1, loopback only)
  --broker memory|redis://...   where channel logs live            (default memory; env LIFELINE_BROKER)
  --key-prefix <s>              Redis key prefix                   (default lifeline:)
  --retention <n>               messages kept per channel          (default 1000)
  --dedupe-ttl-ms <n>           how long a publish id is remembered (default 600000)
  --dedupe-window <n>           publish ids kept per channel and publisher, memory broker only (default 10000)
  --max-retained-bytes <n>      bytes of messages kept over all channels, oldest dropped first, memory broker only (default 1/4 of the heap limit, at most 268435456)
  --max-replay-bytes <n>        bytes of replay pages held at once over all connections; past it page reads wait (default 1/8 of the heap limit, at most 268435456)
  --replay-stall-ms <n>         with the replay budget full and a read waiting this long, close (1013) the connection holding most of it without reading (default 10000)
  --heartbeat-ms <n>            server ping interval               (default 15000)
  --max-handshakes-per-sec <n>  admission control, upgrades/s      (default off)
  --max-connections <n>         open WebSocket connections cap     (default off)
  --publish-per-sec <n>         publishes/s per WebSocket connection (default 100, burst 2x)
  --http-publish-per-sec <n>    POST /v1/publish per token subject or address (default 1000, burst 2x)
  --http-timeout-ms <n>         bound on an HTTP request           (default 30000; headers 10000)
  --max-presence-info-bytes <n> largest presence info, JSON bytes  (default 4096)
  --max-presence-members <n>    presence members per channel, more refused PRESENCE_FULL (default 1000)
  --drain-timeout-ms <n>        on SIGTERM/SIGINT/SIGHUP, cut clients still connected after it (default 10000)
  --drain-delay-ms <n>          on SIGTERM/SIGINT/SIGHUP, first report not ready (/healthz 503) this long while still serving (default 0)
  --echo | --no-echo            serve /echo, which takes no token  (default on without --auth-secret, off with it)
  --metrics | --no-metrics      serve GET /metrics (Prometheus; counts only, no token) (default on)
  --auth-secret <s>             HS256 secret, >= 32 bytes; none = OPEN server (env LIFELINE_AUTH_SECRET)
  --allowed-origins <a,b>       comma-separated Origin allow-list  (default any)
  --tls-cert <file> --tls-key <file>  serve wss:// and https://
  --test-faults                 TEST ONLY: expose POST /_test/faults/* hooks
  --help`;

type Kind = 'port' | 'count' | 'whole' | 'positive';
const EXPECTED: Record<Kind, string> = {
  port: 'an integer 0-65535',
  count: 'an integer >= 1',
  whole: 'an integer >= 0',
  positive: 'a number > 0',
};
/**
 * What a numeric flag may look like: plain decimal digits (a fraction only where the flag
 * takes one). `Number()` also reads hex (`0x10` = 16), exponents (`1e3`), binary, octal,
 * `+8080` and padded `" 80 "`, so `--port 0x10` listened on 16.
 */
const WRITTEN: Record<Kind, RegExp> = {
  port: /^\d+$/,
  count: /^\d+$/,
  whole: /^\d+$/,
  positive: /^\d+(?:\.\d+)?$/,
};

function inRange(kind: Kind, n: number): boolean {
  if (kind === 'positive') return n > 0 && n !== Infinity;
  return Number.isInteger(n) && n >= (kind === 'count' ? 1 : 0) && (kind !== 'port' || n <= 65535);
}

/**
 * Above 2^53 a number is no longer exact (`--retention 99999999999999999999` is 1e20): the
 * Redis broker then refused every publish ("bad maxLen") on a server that had started fine.
 */
const MAX_FLAG_VALUE = Number.MAX_SAFE_INTEGER;

/**
 * The one parser of the numeric flags, checked here so that a bad value exits 2 with the
 * usage text instead of failing later inside the server (exit 1). `Number('')` is 0, so
 * `--port ""` used to listen on a random port, and `--retention 0` got as far as createServer.
 */
function parseNumberFlag(flag: string, v: string | undefined, kind: Kind): number | undefined {
  if (v === undefined) return undefined;
  const written = WRITTEN[kind].test(v);
  if (written && inRange(kind, Number(v))) {
    if (Number(v) > MAX_FLAG_VALUE) throw new Error(`${flag} must be at most ${MAX_FLAG_VALUE} (2^53 - 1), got "${v}"`);
    return Number(v);
  }
  // A value Number() reads as a good one (0x10, 1e3, " 80") is refused for its spelling: say so.
  const hint = !written && v.trim() !== '' && inRange(kind, Number(v)) ? ' (plain decimal digits only)' : '';
  throw new Error(`${flag} must be ${EXPECTED[kind]}, got "${v}"${hint}`);
}

/**
 * `--port -1` is, to parseArgs, a flag missing its value ("argument is ambiguous"); joined
 * as `--port=-1` it reaches the range check and gets the message that says what is wanted.
 */
function negativeValuesJoined(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    if (/^--[a-z-]+$/.test(a) && next !== undefined && /^-\d/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

/**
 * A URL's user and password as `***` (the whole part before the last `@` of the authority,
 * scheme or not), for any message that echoes a broker URL: stderr ends up in log stores.
 */
export function redactUrl(url: string): string {
  return url.replace(/^((?:[a-z][a-z0-9+.-]*:)?\/\/)?[^/?#]*@/i, (_m, scheme: string | undefined) => `${scheme ?? ''}***@`);
}

/** `--broker` (else `LIFELINE_BROKER`, else memory), checked here so a bad URL exits 2 naming where it came from. */
function parseBroker(flag: string | undefined, env: string | undefined): string {
  const from = flag !== undefined ? '--broker' : 'LIFELINE_BROKER';
  const raw = flag ?? env;
  if (raw === undefined) return 'memory';
  // An unset $VAR: silently running on memory would split a fleet into nodes that share nothing.
  if (raw.trim() === '') throw new Error(`${from} is empty; pass "memory" or a redis:// URL, or leave it out for memory`);
  if (raw.toLowerCase() === 'memory') return 'memory';
  const shown = redactUrl(raw);
  if (!/^rediss?:\/\//i.test(raw)) throw new Error(`${from} must be "memory" or a redis:// URL, got "${shown}"`);
  // Node's URL (as the Redis client) reads the scheme in any case; the broker compares it in lower case.
  const url = raw.replace(/^[a-z]+/i, (scheme) => scheme.toLowerCase());
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    throw new Error(`${from} is not a valid URL: "${shown}"; write redis://[user:password@]host[:port][/db] (the port in digits, special characters in the password percent-encoded)`);
  }
  if (host === '') throw new Error(`${from} names no host: "${shown}"; write redis://[user:password@]host[:port][/db]`);
  const dbProblem = redisDbProblem(url);
  if (dbProblem !== undefined) throw new Error(`${from} ${dbProblem}, got "${shown}"`);
  return url;
}

/**
 * The secret from `--auth-secret`, else `LIFELINE_AUTH_SECRET`. An empty or blank one is
 * refused: it started an OPEN server (and `--auth-secret ''` overrode a set variable), which
 * is never what an unset `$SECRET` meant.
 */
function parseSecret(flag: string | undefined, env: string | undefined, warnings: string[]): string | undefined {
  const from = flag !== undefined ? '--auth-secret' : 'LIFELINE_AUTH_SECRET';
  const secret = flag ?? env;
  if (secret === undefined) return undefined;
  if (secret.trim() === '') {
    throw new Error(`${from} is empty; to run an OPEN server (no token needed) on purpose, leave out both --auth-secret and LIFELINE_AUTH_SECRET`);
  }
  const bytes = Buffer.byteLength(secret);
  // HS256 keys shorter than its 32-byte hash can be brute-forced offline from any one token (RFC 7518 3.2).
  if (bytes < 32) warnings.push(`${from} is ${bytes} byte(s); HS256 wants at least 32 random bytes (e.g. openssl rand -base64 32)`);
  if (secret !== secret.trim()) warnings.push(`${from} starts or ends with whitespace, which is part of the secret`);
  return secret;
}

/**
 * Each entry must be exactly what a browser sends as `Origin` (`scheme://host[:port]`, no
 * path, no default port, lower case): the server compares strings, so `https://a.com/`,
 * `*` or `a.com` were accepted and matched nothing.
 */
function parseOrigins(list: string | undefined): string[] | undefined {
  const origins = list?.split(',').map((s) => s.trim()).filter(Boolean);
  if (origins === undefined) return undefined;
  // An empty list (an unset $VAR) allowed every origin: a mistake, not a policy.
  if (origins.length === 0) throw new Error('--allowed-origins needs at least one origin (leave the flag out to allow any)');
  for (const o of origins) {
    let origin = 'null';
    try {
      origin = new URL(o).origin;
    } catch {
      // not a URL: said below
    }
    if (origin === 'null') {
      throw new Error(`--allowed-origins: "${o}" is not an origin; write scheme://host[:port], e.g. https://app.example.com (leave the flag out to allow any)`);
    }
    if (origin !== o) throw new Error(`--allowed-origins: "${o}" never matches a browser's Origin header; write "${origin}"`);
  }
  return origins;
}

/** Parses argv (without node and script). Throws an Error with a readable message on bad input. */
export function parseCliArgs(argv: string[], env: NodeJS.ProcessEnv = {}): CliConfig {
  const { values } = parseArgs({
    args: negativeValuesJoined(argv),
    strict: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      broker: { type: 'string' },
      'key-prefix': { type: 'string' },
      retention: { type: 'string' },
      'dedupe-ttl-ms': { type: 'string' },
      'dedupe-window': { type: 'string' },
      'max-retained-bytes': { type: 'string' },
      'max-replay-bytes': { type: 'string' },
      'replay-stall-ms': { type: 'string' },
      'heartbeat-ms': { type: 'string' },
      'max-handshakes-per-sec': { type: 'string' },
      'max-connections': { type: 'string' },
      'publish-per-sec': { type: 'string' },
      'http-publish-per-sec': { type: 'string' },
      'http-timeout-ms': { type: 'string' },
      'max-presence-info-bytes': { type: 'string' },
      'max-presence-members': { type: 'string' },
      'drain-timeout-ms': { type: 'string' },
      'drain-delay-ms': { type: 'string' },
      // Two flags rather than parseArgs' allowNegative: that needs Node 20.16, the package runs on 18.
      echo: { type: 'boolean' },
      'no-echo': { type: 'boolean' },
      metrics: { type: 'boolean' },
      'no-metrics': { type: 'boolean' },
      'auth-secret': { type: 'string' },
      'allowed-origins': { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'test-faults': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const warnings: string[] = [];
  const broker = parseBroker(values.broker, env.LIFELINE_BROKER);
  const keyPrefix = values['key-prefix'];
  // '' put every key at the root of the Redis database, among whatever else lives there.
  if (keyPrefix !== undefined && keyPrefix.trim() === '') throw new Error('--key-prefix needs a value, got ""; leave it out for the default lifeline:');
  if (broker === 'memory' && keyPrefix !== undefined) warnings.push('--key-prefix has no effect with the memory broker');
  // Redis keeps each id under its own key until its TTL: there is no per-channel count to bound.
  if (broker !== 'memory' && values['dedupe-window'] !== undefined) warnings.push('--dedupe-window has no effect with the Redis broker (ids expire after --dedupe-ttl-ms)');
  if (broker !== 'memory' && values['max-retained-bytes'] !== undefined) warnings.push('--max-retained-bytes has no effect with the Redis broker (bound Redis memory with its maxmemory)');
  if (Boolean(values['tls-cert']) !== Boolean(values['tls-key'])) throw new Error('--tls-cert and --tls-key go together');
  if (values.echo && values['no-echo']) throw new Error('--echo and --no-echo contradict each other; pass one');
  if (values.metrics && values['no-metrics']) throw new Error('--metrics and --no-metrics contradict each other; pass one');
  // Node binds every interface for an empty host: an unset $HOST must not expose the server.
  if (values.host !== undefined && values.host.trim() === '') {
    throw new Error('--host needs an address, got ""; pass --host 0.0.0.0 (or ::) to bind every interface, or leave it out for loopback only');
  }
  const origins = parseOrigins(values['allowed-origins']);
  const authSecret = parseSecret(values['auth-secret'], env.LIFELINE_AUTH_SECRET, warnings);
  return {
    port: parseNumberFlag('--port', values.port, 'port') ?? 8080,
    host: values.host ?? '127.0.0.1',
    broker,
    keyPrefix,
    retention: parseNumberFlag('--retention', values.retention, 'count'),
    dedupeTtlMs: parseNumberFlag('--dedupe-ttl-ms', values['dedupe-ttl-ms'], 'count'),
    dedupeWindow: parseNumberFlag('--dedupe-window', values['dedupe-window'], 'count'),
    maxRetainedBytes: parseNumberFlag('--max-retained-bytes', values['max-retained-bytes'], 'count'),
    maxReplayBytes: parseNumberFlag('--max-replay-bytes', values['max-replay-bytes'], 'count'),
    replayStallMs: parseNumberFlag('--replay-stall-ms', values['replay-stall-ms'], 'count'),
    maxPresenceMembers: parseNumberFlag('--max-presence-members', values['max-presence-members'], 'count'),
    heartbeatMs: parseNumberFlag('--heartbeat-ms', values['heartbeat-ms'], 'positive'),
    maxHandshakesPerSec: parseNumberFlag('--max-handshakes-per-sec', values['max-handshakes-per-sec'], 'positive'),
    maxConnections: parseNumberFlag('--max-connections', values['max-connections'], 'count'),
    publishPerSec: parseNumberFlag('--publish-per-sec', values['publish-per-sec'], 'positive'),
    httpPublishPerSec: parseNumberFlag('--http-publish-per-sec', values['http-publish-per-sec'], 'positive'),
    httpTimeoutMs: parseNumberFlag('--http-timeout-ms', values['http-timeout-ms'], 'positive'),
    maxPresenceInfoBytes: parseNumberFlag('--max-presence-info-bytes', values['max-presence-info-bytes'], 'count'),
    drainTimeoutMs: parseNumberFlag('--drain-timeout-ms', values['drain-timeout-ms'], 'count'),
    // 0 is its default ("no delay"), so it may be said.
    drainDelayMs: parseNumberFlag('--drain-delay-ms', values['drain-delay-ms'], 'whole'),
    echo: values.echo ? true : values['no-echo'] ? false : undefined,
    metrics: values.metrics ? true : values['no-metrics'] ? false : undefined,
    authSecret,
    allowedOrigins: origins,
    tlsCert: values['tls-cert'],
    tlsKey: values['tls-key'],
    testFaults: values['test-faults'] === true,
    help: values.help === true,
    warnings,
  };
}
