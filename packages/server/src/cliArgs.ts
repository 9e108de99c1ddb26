import { parseArgs } from 'node:util';

export interface CliConfig {
  port: number;
  host: string;
  /** 'memory' or a redis:// URL. */
  broker: string;
  keyPrefix: string | undefined;
  retention: number | undefined;
  heartbeatMs: number | undefined;
  maxHandshakesPerSec: number | undefined;
  maxConnections: number | undefined;
  /** `--publish-per-sec`: each WebSocket connection's publish rate (burst twice that; undefined: the library's 100). */
  publishPerSec: number | undefined;
  httpPublishPerSec: number | undefined;
  httpTimeoutMs: number | undefined;
  maxPresenceInfoBytes: number | undefined;
  /** `--drain-timeout-ms`: how long a SIGTERM/SIGINT drain waits before cutting the rest (undefined: the library's 10000). */
  drainTimeoutMs: number | undefined;
  /** `--echo` true, `--no-echo` false, neither undefined (the library's default: on only without a secret). */
  echo: boolean | undefined;
  authSecret: string | undefined;
  allowedOrigins: string[] | undefined;
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  testFaults: boolean;
  help: boolean;
}

export const USAGE = `Usage: lifeline-server [options]
  --port <n>                    TCP port, 0 = any free port        (default 8080)
  --host <addr>                 interface to bind; 0.0.0.0 or :: = all (default 127.0.0.1, loopback only)
  --broker memory|redis://...   where channel logs live            (default memory)
  --key-prefix <s>              Redis key prefix                   (default lifeline:)
  --retention <n>               messages kept per channel          (default 1000)
  --heartbeat-ms <n>            server ping interval               (default 15000)
  --max-handshakes-per-sec <n>  admission control, upgrades/s      (default off)
  --max-connections <n>         open WebSocket connections cap     (default off)
  --publish-per-sec <n>         publishes/s per WebSocket connection (default 100, burst 2x)
  --http-publish-per-sec <n>    POST /v1/publish per token subject or address (default 1000, burst 2x)
  --http-timeout-ms <n>         bound on an HTTP request           (default 30000; headers 10000)
  --max-presence-info-bytes <n> largest presence info, JSON bytes  (default 4096)
  --drain-timeout-ms <n>        on SIGTERM/SIGINT, cut clients still connected after it (default 10000)
  --echo | --no-echo            serve /echo, which takes no token  (default on without --auth-secret, off with it)
  --auth-secret <s>             HS256 secret; none = OPEN server   (env LIFELINE_AUTH_SECRET)
  --allowed-origins <a,b>       comma-separated Origin allow-list  (default any)
  --tls-cert <file> --tls-key <file>  serve wss:// and https://
  --test-faults                 TEST ONLY: expose POST /_test/faults/* hooks
  --help`;

type Kind = 'port' | 'count' | 'positive';
const EXPECTED: Record<Kind, string> = {
  port: 'an integer 0-65535',
  count: 'an integer >= 1',
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
  positive: /^\d+(?:\.\d+)?$/,
};

function inRange(kind: Kind, n: number): boolean {
  if (kind === 'positive') return n > 0 && n !== Infinity;
  return Number.isInteger(n) && n >= (kind === 'port' ? 0 : 1) && (kind !== 'port' || n <= 65535);
}

/**
 * The one parser of the numeric flags, checked here so that a bad value exits 2 with the
 * usage text instead of failing later inside the server (exit 1). `Number('')` is 0, so
 * `--port ""` used to listen on a random port, and `--retention 0` got as far as createServer.
 */
function parseNumberFlag(flag: string, v: string | undefined, kind: Kind): number | undefined {
  if (v === undefined) return undefined;
  const written = WRITTEN[kind].test(v);
  if (written && inRange(kind, Number(v))) return Number(v);
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
      'heartbeat-ms': { type: 'string' },
      'max-handshakes-per-sec': { type: 'string' },
      'max-connections': { type: 'string' },
      'publish-per-sec': { type: 'string' },
      'http-publish-per-sec': { type: 'string' },
      'http-timeout-ms': { type: 'string' },
      'max-presence-info-bytes': { type: 'string' },
      'drain-timeout-ms': { type: 'string' },
      // Two flags rather than parseArgs' allowNegative: that needs Node 20.16, the package runs on 18.
      echo: { type: 'boolean' },
      'no-echo': { type: 'boolean' },
      'auth-secret': { type: 'string' },
      'allowed-origins': { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'test-faults': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const broker = values.broker ?? 'memory';
  if (broker !== 'memory' && !/^rediss?:\/\//.test(broker)) {
    throw new Error(`--broker must be "memory" or a redis:// URL, got "${broker}"`);
  }
  if (Boolean(values['tls-cert']) !== Boolean(values['tls-key'])) throw new Error('--tls-cert and --tls-key go together');
  if (values.echo && values['no-echo']) throw new Error('--echo and --no-echo contradict each other; pass one');
  // Node binds every interface for an empty host: an unset $HOST must not expose the server.
  if (values.host !== undefined && values.host.trim() === '') {
    throw new Error('--host needs an address, got ""; pass --host 0.0.0.0 (or ::) to bind every interface, or leave it out for loopback only');
  }
  const origins = values['allowed-origins']?.split(',').map((s) => s.trim()).filter(Boolean);
  // An empty list (an unset $VAR) allowed every origin: a mistake, not a policy.
  if (origins?.length === 0) throw new Error('--allowed-origins needs at least one origin (leave the flag out to allow any)');
  return {
    port: parseNumberFlag('--port', values.port, 'port') ?? 8080,
    host: values.host ?? '127.0.0.1',
    broker,
    keyPrefix: values['key-prefix'],
    retention: parseNumberFlag('--retention', values.retention, 'count'),
    heartbeatMs: parseNumberFlag('--heartbeat-ms', values['heartbeat-ms'], 'positive'),
    maxHandshakesPerSec: parseNumberFlag('--max-handshakes-per-sec', values['max-handshakes-per-sec'], 'positive'),
    maxConnections: parseNumberFlag('--max-connections', values['max-connections'], 'count'),
    publishPerSec: parseNumberFlag('--publish-per-sec', values['publish-per-sec'], 'positive'),
    httpPublishPerSec: parseNumberFlag('--http-publish-per-sec', values['http-publish-per-sec'], 'positive'),
    httpTimeoutMs: parseNumberFlag('--http-timeout-ms', values['http-timeout-ms'], 'positive'),
    maxPresenceInfoBytes: parseNumberFlag('--max-presence-info-bytes', values['max-presence-info-bytes'], 'count'),
    drainTimeoutMs: parseNumberFlag('--drain-timeout-ms', values['drain-timeout-ms'], 'count'),
    echo: values.echo ? true : values['no-echo'] ? false : undefined,
    authSecret: values['auth-secret'] ?? (env.LIFELINE_AUTH_SECRET || undefined),
    allowedOrigins: origins,
    tlsCert: values['tls-cert'],
    tlsKey: values['tls-key'],
    testFaults: values['test-faults'] === true,
    help: values.help === true,
  };
}
