// Helpers for the Redis broker tests: the preamble every Redis test file shares
// (redisSuite: availability check, unique key prefix, cleanup of its keys), a loopback TCP
// proxy (Redis down / back, or a load balancer), a fake clock.
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll } from 'vitest';
import type { BrokerClock } from '../src/broker/redisOptions';

export const REDIS_URL = 'redis://127.0.0.1:6379';

/** What a Redis test file gets from {@link redisSuite}. */
export interface RedisSuite {
  /** Redis answered PING; the file's tests run under `describe.skipIf(!available)`. */
  readonly available: boolean;
  /** The file's own key prefix, so parallel files and runs never share keys. */
  readonly prefix: string;
  /** Another fresh prefix (for a second keyspace in the same file), cleaned up like `prefix`. */
  newPrefix(): string;
}

/**
 * The preamble of every file that needs the real Redis. Call once at module level
 * (`const { available, prefix } = await redisSuite();`), since it registers an `afterAll`:
 * - probes Redis at {@link REDIS_URL}: without it the file's tests skip and the reason is
 *   printed, or, under LIFELINE_REQUIRE_REDIS=1, the file fails (CI must not pass by skipping);
 * - hands out a unique key prefix;
 * - deletes every key under its prefixes once the file is done (SCAN + DEL, never FLUSHALL).
 */
export async function redisSuite(): Promise<RedisSuite> {
  const available = await redisAvailable();
  const prefixes = [uniquePrefix()];
  afterAll(async () => {
    if (available) await Promise.all(prefixes.map((p) => deletePrefix(p)));
  });
  return {
    available,
    prefix: prefixes[0]!,
    newPrefix() {
      const p = uniquePrefix();
      prefixes.push(p);
      return p;
    },
  };
}

/**
 * `true` when Redis answers PING at `url`. When it does not, warns with the reason (tests
 * skip) or throws when LIFELINE_REQUIRE_REDIS=1 (tests fail).
 */
export async function redisAvailable(url = REDIS_URL): Promise<boolean> {
  const probe = new Redis(url, { lazyConnect: true, retryStrategy: () => null, connectTimeout: 1500, maxRetriesPerRequest: 0 });
  let reason = '';
  probe.on('error', (err: Error) => {
    reason ||= err.message; // e.g. ECONNREFUSED, more telling than the later "Connection is closed."
  });
  try {
    await probe.connect();
    if ((await probe.ping()) === 'PONG') return true;
    reason = 'PING did not answer PONG';
  } catch (err) {
    reason ||= (err as Error).message;
  } finally {
    probe.disconnect();
  }
  if (process.env.LIFELINE_REQUIRE_REDIS === '1') {
    throw new Error(`LIFELINE_REQUIRE_REDIS=1 but Redis at ${url} is not available: ${reason}`);
  }
  console.warn(`[redis tests] SKIPPED: no Redis at ${url} (${reason}); set LIFELINE_REQUIRE_REDIS=1 to fail instead`);
  return false;
}

export const uniquePrefix = (): string => `lifeline-test:${process.pid}:${randomBytes(4).toString('hex')}:`;

/** Deletes every key under `prefix` (SCAN + DEL; never FLUSHALL). Returns how many. */
export async function deletePrefix(prefix: string): Promise<number> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  let deleted = 0;
  try {
    const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

/** Polls `cond` until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A loopback TCP proxy: `down()` cuts and refuses, `up()` restores, `retarget()` + `cutAll()` moves clients. */
export interface TcpProxy {
  /** `redis://127.0.0.1:PORT` (for a Redis target). */
  url: string;
  port: number;
  down(): Promise<void>;
  up(): Promise<void>;
  /** New connections go to `port` from now on (a load balancer switching backends). */
  retarget(port: number): void;
  /** Ends every proxied connection; the listener stays up. */
  cutAll(): void;
  /** Holds all bytes in both directions (a stalled peer); `resume()` lets them through. */
  stall(): void;
  resume(): void;
  close(): Promise<void>;
}
export type RedisProxy = TcpProxy;

export const startRedisProxy = (): Promise<TcpProxy> => startTcpProxy(6379);

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let target = targetPort;
  let server = makeServer();
  await listen(server, 0);
  const port = (server.address() as net.AddressInfo).port;

  function makeServer(): net.Server {
    return net.createServer((client) => {
      const upstream = net.connect(target, '127.0.0.1');
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      if (stalled) for (const s of [client, upstream]) s.pause();
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  }
  let stalled = false;
  const cutAll = () => {
    for (const s of sockets) s.destroy();
  };
  const stop = () => new Promise<void>((resolve) => {
    cutAll();
    server.close(() => resolve());
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    down: stop,
    async up() {
      server = makeServer();
      await listen(server, port);
    },
    retarget(p) {
      target = p;
    },
    cutAll,
    stall() {
      stalled = true;
      for (const s of sockets) s.pause();
    },
    resume() {
      stalled = false;
      for (const s of sockets) s.resume();
    },
    close: async () => {
      if (server.listening) await stop();
    },
  };
}

const listen = (server: net.Server, port: number) =>
  new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });

/** Manual clock: `advance(ms)` moves time and runs due timers; `pending()` counts armed ones. */
export function fakeClock(start = 1_000_000): BrokerClock & { advance(ms: number): void; pending(): number } {
  let now = start;
  let nextId = 1;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout(fn, ms) {
      const id = nextId++;
      timers.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimeout(h) {
      timers.delete(h as number);
    },
    pending: () => timers.size,
    advance(ms) {
      now += ms;
      for (const [id, t] of [...timers].sort((a, b) => a[1].at - b[1].at)) {
        if (t.at > now) continue;
        timers.delete(id);
        t.fn();
      }
    },
  };
}
