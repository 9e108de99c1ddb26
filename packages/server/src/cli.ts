import { readFileSync } from 'node:fs';
import { isBrokerUnavailable } from './broker/redisErrors';
import type { Broker } from './broker/types';
import { parseCliArgs, USAGE, type CliConfig } from './cliArgs';
import { createCliLogger } from './cliLogger';
import { createServer } from './createServer';
import { DEFAULT_DRAIN_TIMEOUT_MS, type ServerOptions } from './options';
import { checkTlsPair } from './tlsPair';

const stderrLogger = createCliLogger();

interface RedisBrokerCliOptions {
  url: string;
  keyPrefix?: string;
  retention?: number;
  onError: (err: Error) => void;
}

async function loadRedisBroker(url: string, keyPrefix: string | undefined, retention: number | undefined): Promise<Broker> {
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
    url,
    onError: (err) => {
      if (!isBrokerUnavailable(err)) stderrLogger.error(err.message);
    },
  };
  if (keyPrefix !== undefined) options.keyPrefix = keyPrefix;
  if (retention !== undefined) options.retention = retention;
  return mod.redisBroker(options);
}

function readFile(flag: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`${flag}: cannot read ${path}: ${(err as Error).message}`);
  }
}

async function main(cfg: CliConfig): Promise<void> {
  const options: ServerOptions = { port: cfg.port, host: cfg.host, logger: stderrLogger, faults: cfg.testFaults };
  if (cfg.retention !== undefined) options.retention = cfg.retention;
  if (cfg.heartbeatMs !== undefined) options.heartbeatMs = cfg.heartbeatMs;
  if (cfg.maxHandshakesPerSec !== undefined) options.maxHandshakesPerSec = cfg.maxHandshakesPerSec;
  if (cfg.maxConnections !== undefined) options.maxConnections = cfg.maxConnections;
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
  if (cfg.drainTimeoutMs !== undefined) options.drainTimeoutMs = cfg.drainTimeoutMs;
  if (cfg.echo !== undefined) options.echo = cfg.echo;
  if (cfg.authSecret !== undefined) options.authSecret = cfg.authSecret;
  if (cfg.allowedOrigins !== undefined) options.allowedOrigins = cfg.allowedOrigins;
  if (cfg.tlsCert && cfg.tlsKey) {
    const tls = { cert: readFile('--tls-cert', cfg.tlsCert), key: readFile('--tls-key', cfg.tlsKey) };
    // Here, not only in createServer, so the error names the flag and the file.
    checkTlsPair(tls.cert, tls.key, { cert: { name: '--tls-cert', path: cfg.tlsCert }, key: { name: '--tls-key', path: cfg.tlsKey } });
    options.tls = tls;
  }
  let broker: Broker | undefined;
  if (cfg.broker === 'memory' && cfg.keyPrefix !== undefined) stderrLogger.warn('--key-prefix has no effect with the memory broker');
  if (cfg.broker !== 'memory') {
    broker = await loadRedisBroker(cfg.broker, cfg.keyPrefix, cfg.retention);
    options.broker = broker;
  }
  if (cfg.testFaults) stderrLogger.warn('--test-faults: fault hooks are exposed at POST /_test/faults/*. Never use this in production.');
  if (!options.tls && (cfg.host === '127.0.0.1' || cfg.host === '::1' || cfg.host === 'localhost')) {
    stderrLogger.info(`bound to loopback (${cfg.host}) only; pass --host 0.0.0.0 to accept remote clients`);
  }
  const server = await createServer(options).catch((err: unknown) => {
    if ((err as { code?: unknown }).code === 'EADDRINUSE') {
      throw new Error(`port ${cfg.port} on ${cfg.host} is already in use; stop the other process or pass another --port`);
    }
    throw err;
  });
  process.stdout.write(`lifeline-server listening on ${server.url}\n`);

  let stopping = false;
  const drainTimeoutMs = cfg.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
  const stop = (signal: string): void => {
    if (stopping) {
      // A second signal means "now": exit 1, since the drain did not finish.
      stderrLogger.warn(`${signal} again: exiting now, before the drain finished (exit 1)`);
      process.exit(1);
    }
    stopping = true;
    stderrLogger.info(`${signal}: draining ${server.stats().connections} connection(s); clients still connected after ${drainTimeoutMs} ms are cut (a second signal exits at once)`);
    server
      .drain()
      .then(() => broker?.close())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          stderrLogger.error(`drain failed: ${String(err)}`);
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
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
main(cfg).catch((err: unknown) => {
  stderrLogger.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
