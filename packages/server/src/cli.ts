import { readFileSync } from 'node:fs';
import { format } from 'node:util';
import { memoryBroker } from './broker/memoryBroker';
import { isBrokerUnavailable } from './broker/redisErrors';
import type { Broker } from './broker/types';
import { parseCliArgs, USAGE, type CliConfig } from './cliArgs';
import { brokerLine } from './cliBrokerLine';
import { createCliLogger } from './cliLogger';
import { createServer, type LifelineServer } from './createServer';
import { DEFAULT_DRAIN_TIMEOUT_MS, type ServerOptions } from './options';
import { checkTlsPair } from './tlsPair';

const stderrLogger = createCliLogger();
// The Redis client writes some warnings itself with console.warn ("[WARN] … does not require a
// password, but a password was supplied"), a bare line amid the timed ones. The CLI owns the
// process: through the logger they get the time and level every stderr line has, on one line.
console.warn = (...args: unknown[]) => stderrLogger.warn(format(...args).replace(/^\[WARN\]\s*/, '').replace(/\s*\n\s*/g, ' '));

interface RedisBrokerCliOptions {
  url: string;
  keyPrefix?: string;
  retention?: number;
  dedupeTtlMs?: number;
  onError: (err: Error) => void;
}

async function loadRedisBroker(cfg: CliConfig): Promise<Broker> {
  // A computed specifier keeps bundlers from inlining it: the Redis broker ships as its own file.
  const spec = './broker/redisBroker.js';
  let mod: { redisBroker?: (o: RedisBrokerCliOptions) => Broker | Promise<Broker> };
  try {
    mod = (await import(spec)) as typeof mod;
  } catch (err) {
    throw new Error(`the Redis broker is not available in this build (${(err as Error).message}); use --broker memory`);
  }
  if (typeof mod.redisBroker !== 'function') throw new Error('the Redis broker module does not export redisBroker()');
  // The server logs each outage once (a warning) and its end (info) from the broker's
  // status; the broker's BROKER_UNAVAILABLE errors (a connection lost, each failed
  // catch-up retry) would repeat it, up to one line per retry. Anything else is printed
  // on one line (the default printed a multi-line stack).
  const options: RedisBrokerCliOptions = {
    url: cfg.broker,
    onError: (err) => {
      if (!isBrokerUnavailable(err)) stderrLogger.error(err.message);
    },
  };
  if (cfg.keyPrefix !== undefined) options.keyPrefix = cfg.keyPrefix;
  if (cfg.retention !== undefined) options.retention = cfg.retention;
  if (cfg.dedupeTtlMs !== undefined) options.dedupeTtlMs = cfg.dedupeTtlMs;
  return mod.redisBroker(options);
}

function readFile(flag: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`${flag}: cannot read ${path}: ${(err as Error).message}`);
  }
}

/** Listen errors as the flag to change: Node's (`listen EADDRNOTAVAIL 10.9.9.9:8080`) named neither. */
function listenError(err: unknown, cfg: CliConfig): unknown {
  switch ((err as { code?: unknown }).code) {
    case 'EADDRINUSE':
      return new Error(`port ${cfg.port} on ${cfg.host} is already in use; stop the other process or pass another --port`);
    case 'EADDRNOTAVAIL':
      return new Error(`--host ${cfg.host}: no interface of this machine has that address; pass one it has, or 0.0.0.0 (or ::) for every interface`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new Error(`--host ${cfg.host}: cannot resolve that name; pass an address of this machine, or 0.0.0.0 (or ::) for every interface`);
    case 'EACCES':
      return new Error(`--port ${cfg.port} on ${cfg.host}: permission denied (ports below 1024 need privileges); pass another --port`);
    default:
      return err;
  }
}

/**
 * SIGTERM, SIGINT and SIGHUP, from before startup: a signal during startup (a Redis broker
 * loading, TLS files read, the port being bound) stops it, closes what was opened and exits 0
 * (it used to kill the process, exit 143, the handlers came after listening). Once
 * listening, a signal drains (after `--drain-delay-ms` of reporting not ready, when set).
 * A second signal exits 1 at once, whatever the phase (the pre-drain delay included).
 * SIGHUP drains too: Node resets it to "terminate" at startup even under `nohup`, so the
 * choice was between dropping every client at once (a reconnect stampede) and a drain.
 */
class Lifecycle {
  private server: LifelineServer | undefined;
  /** A signal came: from then on the process exits from here, 0 once what was opened is closed. */
  stopping = false;
  /** What startup opened that the server will not close itself (a Redis broker). */
  private readonly closers: (() => Promise<void>)[] = [];

  constructor(
    private readonly drainTimeoutMs: number,
    private readonly drainDelayMs: number,
  ) {
    for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => this.signal(signal));
  }

  /** `close` runs once the server stopped (or at a stop during startup). False: stopping, open nothing more. */
  opened(close: () => Promise<void>): boolean {
    this.closers.push(close);
    return !this.stopping;
  }

  /** False when a signal came first: the server is closed again and nothing is said on stdout. */
  listening(server: LifelineServer): boolean {
    if (this.stopping) {
      void server.close();
      return false;
    }
    this.server = server;
    return true;
  }

  private signal(signal: string): void {
    if (this.stopping) {
      // A second signal means "now": exit 1, since the drain did not finish.
      stderrLogger.warn(`${signal} again: exiting now, before the drain finished (exit 1)`);
      process.exit(1);
    }
    this.stopping = true;
    const server = this.server;
    if (server === undefined) {
      stderrLogger.info(`${signal} during startup: stopping before listening`);
      this.finish(Promise.resolve(), 'stop');
      return;
    }
    if (this.drainDelayMs > 0) {
      stderrLogger.info(
        `${signal}: not ready for ${this.drainDelayMs} ms (/healthz 503, still serving), then draining; clients still connected ${this.drainTimeoutMs} ms after the drain began are cut (a second signal exits at once)`,
      );
    } else {
      stderrLogger.info(`${signal}: draining ${server.stats().connections} connection(s); clients still connected after ${this.drainTimeoutMs} ms are cut (a second signal exits at once)`);
    }
    this.finish(server.drain(), 'drain');
  }

  private finish(stopped: Promise<void>, what: string): void {
    stopped
      .then(() => Promise.all(this.closers.map((close) => close())))
      .then(
        () => process.exit(0),
        (err: unknown) => {
          stderrLogger.error(`${what} failed: ${String(err)}`);
          process.exit(1);
        },
      );
  }
}

async function main(cfg: CliConfig, life: Lifecycle): Promise<void> {
  for (const warning of cfg.warnings) stderrLogger.warn(warning);
  const options: ServerOptions = { port: cfg.port, host: cfg.host, logger: stderrLogger, faults: cfg.testFaults };
  if (cfg.retention !== undefined) options.retention = cfg.retention;
  if (cfg.heartbeatMs !== undefined) options.heartbeatMs = cfg.heartbeatMs;
  if (cfg.maxHandshakesPerSec !== undefined) options.maxHandshakesPerSec = cfg.maxHandshakesPerSec;
  if (cfg.maxConnections !== undefined) options.maxConnections = cfg.maxConnections;
  if (cfg.maxReplayBytes !== undefined) options.maxReplayBytes = cfg.maxReplayBytes;
  if (cfg.replayStallMs !== undefined) options.replayStallMs = cfg.replayStallMs;
  if (cfg.publishPerSec !== undefined) {
    // Burst as the library's defaults have it: two seconds' worth (presence's bucket follows it).
    options.publishPerSec = cfg.publishPerSec;
    options.publishBurst = Math.max(1, 2 * cfg.publishPerSec);
  }
  if (cfg.httpPublishPerSec !== undefined) {
    // Burst as the library's defaults have it: two seconds' worth.
    options.httpPublishPerSec = cfg.httpPublishPerSec;
    options.httpPublishBurst = Math.max(1, 2 * cfg.httpPublishPerSec);
  }
  if (cfg.httpTimeoutMs !== undefined) options.httpTimeoutMs = cfg.httpTimeoutMs;
  if (cfg.maxPresenceInfoBytes !== undefined) options.maxPresenceInfoBytes = cfg.maxPresenceInfoBytes;
  if (cfg.maxPresenceMembers !== undefined) options.maxPresenceMembers = cfg.maxPresenceMembers;
  if (cfg.drainTimeoutMs !== undefined) options.drainTimeoutMs = cfg.drainTimeoutMs;
  if (cfg.drainDelayMs !== undefined) options.drainDelayMs = cfg.drainDelayMs;
  if (cfg.echo !== undefined) options.echo = cfg.echo;
  if (cfg.metrics !== undefined) options.metrics = cfg.metrics;
  if (cfg.authSecret !== undefined) options.authSecret = cfg.authSecret;
  if (cfg.allowedOrigins !== undefined) options.allowedOrigins = cfg.allowedOrigins;
  if (cfg.tlsCert && cfg.tlsKey) {
    const tls = { cert: readFile('--tls-cert', cfg.tlsCert), key: readFile('--tls-key', cfg.tlsKey) };
    // Here, not only in createServer, so the error names the flag and the file.
    checkTlsPair(tls.cert, tls.key, { cert: { name: '--tls-cert', path: cfg.tlsCert }, key: { name: '--tls-key', path: cfg.tlsKey } });
    options.tls = tls;
  }
  if (cfg.broker === 'memory') {
    // Built here for its dedupe options; owned by the server, so close and drain treat it as
    // the default one (closed with the server, no presence held for other nodes).
    options.broker = memoryBroker({ retention: cfg.retention, dedupeWindow: cfg.dedupeWindow, dedupeTtlMs: cfg.dedupeTtlMs, maxRetainedBytes: cfg.maxRetainedBytes });
    options.ownsBroker = true;
  } else {
    const broker = await loadRedisBroker(cfg);
    options.broker = broker;
    if (!life.opened(() => broker.close())) return;
  }
  if (cfg.testFaults) stderrLogger.warn('--test-faults: fault hooks are exposed at POST /_test/faults/*. Never use this in production.');
  const server = await createServer(options).catch((err: unknown) => {
    throw listenError(err, cfg);
  });
  if (!life.listening(server)) return;
  process.stdout.write(`lifeline-server listening on ${server.url}\n`);
  // Which broker, said once: a node missing its LIFELINE_BROKER ran on memory among Redis nodes unnoticed.
  const { msg, meta } = brokerLine(cfg.broker, cfg.keyPrefix);
  stderrLogger.info(msg, meta);
  // After listening: it was printed before a port-in-use failure too.
  if (!options.tls && (cfg.host === '127.0.0.1' || cfg.host === '::1' || cfg.host === 'localhost')) {
    stderrLogger.info(`bound to loopback (${cfg.host}) only; pass --host 0.0.0.0 to accept remote clients`);
  }
}

let cfg: CliConfig;
try {
  cfg = parseCliArgs(process.argv.slice(2), process.env);
} catch (err) {
  process.stderr.write(`lifeline-server: ${(err as Error).message}\n${USAGE}\n`);
  process.exit(2);
}
if (cfg.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const life = new Lifecycle(cfg.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS, cfg.drainDelayMs ?? 0);
main(cfg, life).catch((err: unknown) => {
  // Startup failing because a signal closed the broker under it: the stop decides the exit.
  if (life.stopping) return;
  stderrLogger.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
