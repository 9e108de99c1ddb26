import { readFileSync } from 'node:fs';
import type { Broker } from './broker/types';
import { parseCliArgs, USAGE, type CliConfig } from './cliArgs';
import { createServer } from './createServer';
import type { Logger, ServerOptions } from './options';

const stderrLogger: Logger = {
  debug: () => undefined,
  info: (msg) => process.stderr.write(`lifeline-server: ${msg}\n`),
  warn: (msg) => process.stderr.write(`lifeline-server: WARNING: ${msg}\n`),
  error: (msg, meta) => process.stderr.write(`lifeline-server: ERROR: ${msg}${meta ? ` ${JSON.stringify(meta)}` : ''}\n`),
};

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
  // One stderr line per outage in the CLI's format (the default printed a multi-line stack).
  const options: RedisBrokerCliOptions = { url, onError: (err) => stderrLogger.error(err.message) };
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
  if (cfg.httpPublishPerSec !== undefined) {
    // Burst as the library's defaults have it: two seconds' worth.
    options.httpPublishPerSec = cfg.httpPublishPerSec;
    options.httpPublishBurst = Math.max(1, 2 * cfg.httpPublishPerSec);
  }
  if (cfg.httpTimeoutMs !== undefined) options.httpTimeoutMs = cfg.httpTimeoutMs;
  if (cfg.maxPresenceInfoBytes !== undefined) options.maxPresenceInfoBytes = cfg.maxPresenceInfoBytes;
  if (cfg.echo !== undefined) options.echo = cfg.echo;
  if (cfg.authSecret !== undefined) options.authSecret = cfg.authSecret;
  if (cfg.allowedOrigins !== undefined) options.allowedOrigins = cfg.allowedOrigins;
  if (cfg.tlsCert && cfg.tlsKey) options.tls = { cert: readFile('--tls-cert', cfg.tlsCert), key: readFile('--tls-key', cfg.tlsKey) };
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
  const stop = (signal: string): void => {
    if (stopping) {
      process.exit(1); // a second signal means "now"
    }
    stopping = true;
    stderrLogger.info(`${signal}: draining ${server.stats().connections} connection(s)`);
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
  process.stderr.write(`lifeline-server: ERROR: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
