// The CLI on the Redis broker, as an operator runs it: Redis down at start, Redis going
// away and coming back while it serves, SIGTERM under load. Redis is reached through a
// loopback proxy (the shared Redis itself is never stopped).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './helpers/waitFor';
import { TestClient } from './helpers/wsClient';
import { Redis } from 'ioredis';
import { REDIS_URL, redisSuite, startRedisProxy, type RedisProxy } from './redisTestUtils';

const { available, prefix } = await redisSuite();
const pkg = fileURLToPath(new URL('..', import.meta.url));
// A build with the Redis broker as its own file next to the CLI, as in dist/ (`.js` files
// are ES modules here: the package is `"type": "module"`).
const outDir = `${pkg}node_modules/.cache/lifeline-cli-redis-test`;

beforeAll(async () => {
  if (!available) return;
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: [`${pkg}src/cli.ts`, `${pkg}src/broker/redisBroker.ts`],
    outbase: `${pkg}src`,
    outdir: outDir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['ws', 'ioredis'],
    alias: { '@lifeline/core/protocol': `${pkg}../core/src/protocol/index.ts`, '@lifeline/core': `${pkg}../core/src/index.ts` },
    logLevel: 'silent',
  });
}, 30_000);

interface Run {
  child: ChildProcessWithoutNullStreams;
  out: string[];
  err: string[];
  exit: Promise<number | null>;
}
const running: Run[] = [];
const proxies: RedisProxy[] = [];
/** `env` is added to the test's own environment. */
function run(args: string[], env: Record<string, string> = {}, nodeArgs: string[] = []): Run {
  const child = spawn(process.execPath, [...nodeArgs, `${outDir}/cli.js`, ...args], { stdio: 'pipe', env: { ...process.env, ...env } });
  const r: Run = { child, out: [], err: [], exit: new Promise((resolve) => child.on('exit', (code) => resolve(code))) };
  child.stdout.on('data', (d) => r.out.push(...String(d).split('\n').filter(Boolean)));
  child.stderr.on('data', (d) => r.err.push(...String(d).split('\n').filter(Boolean)));
  running.push(r);
  return r;
}
async function redisProxy(): Promise<RedisProxy> {
  const p = await startRedisProxy();
  proxies.push(p);
  return p;
}
afterEach(async () => {
  for (const r of running.splice(0)) if (r.child.exitCode === null) r.child.kill('SIGKILL');
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});

/** Starts the CLI on the Redis behind `p`; resolves with its base URLs once it listens. */
async function serve(p: RedisProxy): Promise<{ r: Run; url: string; http: string }> {
  const r = run(['--port', '0', '--broker', p.url, '--key-prefix', prefix]);
  const line = await waitFor(() => r.out[0], 'the listening line', 15_000);
  const url = line.slice('lifeline-server listening on '.length);
  return { r, url, http: url.replace(/^ws/, 'http') };
}
/** Lines about the broker other than the startup line naming it. */
const aboutBrokerStatus = (l: string): boolean => l.includes('broker') && !l.includes('lifeline-server: broker: ');
async function health(http: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${http}/healthz`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
/** The health status, polled until it is `status` (the broker notices a drop within its timeouts). */
async function healthBecomes(http: string, status: number): Promise<Record<string, unknown>> {
  let last: { status: number; body: Record<string, unknown> } | undefined;
  await waitFor(() => {
    void health(http).then((h) => (last = h), () => undefined);
    return last?.status === status;
  }, `/healthz ${status}`, 10_000);
  return last!.body;
}

describe.skipIf(!available)('lifeline-server --broker redis://', () => {
  it('with Redis down at start: serves, /healthz 503 and publish 503 until Redis comes, one timestamped WARNING line for the outage and one line when it ends, no crash', async () => {
    const p = await redisProxy();
    await p.down();
    const { r, http } = await serve(p);
    expect((await health(http))).toEqual({ status: 503, body: { ok: false, broker: false, draining: false, connections: 0 } });
    for (let i = 0; i < 3; i++) {
      const pub = await fetch(`${http}/v1/publish`, { method: 'POST', body: JSON.stringify({ channel: 'a', data: 1 }) });
      expect(pub.status).toBe(503);
      expect(await pub.json()).toMatchObject({ code: 'BROKER_UNAVAILABLE' });
    }
    await waitFor(() => r.err.some((l) => l.includes('broker unavailable')), 'the outage on stderr');
    const outage = r.err.filter(aboutBrokerStatus);
    // One line for both connections and every refused call (it was one ERROR per connection).
    expect(outage).toEqual([
      expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z lifeline-server: WARNING: broker unavailable: redis broker: (commands|pub\/sub) connection lost: .*ECONNREFUSED/),
    ]);
    expect(r.err.filter((l) => l.includes('ERROR'))).toEqual([]);
    // The default onError printed a stack trace and the error's fields over ~20 lines.
    expect(r.err.filter((l) => /^\s+at |^\s*\}|code: 'BROKER_UNAVAILABLE'/.test(l))).toEqual([]);

    await p.up();
    expect(await healthBecomes(http, 200)).toMatchObject({ ok: true, broker: true });
    await waitFor(() => r.err.some((l) => l.includes('broker available again')), 'the recovery on stderr');
    expect(r.err.filter(aboutBrokerStatus)).toEqual([
      outage[0],
      expect.stringMatching(/^\S+Z lifeline-server: broker available again after \d+ ms \{"downMs":\d+\}$/),
    ]);
    expect(r.child.exitCode).toBe(null);
    r.child.kill('SIGTERM');
    expect(await r.exit).toBe(0);
  }, 30_000);

  it('Redis going away while serving: /healthz turns 503 and back, the subscriber gets what was published meanwhile; SIGINT drains (drain frame, 1012, exit 0)', async () => {
    const p = await redisProxy();
    const { r, url, http } = await serve(p);
    await healthBecomes(http, 200); // listening comes first, Redis a moment later
    const c = await TestClient.connect(url);
    expect(await c.subscribe('ops')).toMatchObject({ type: 'subscribed' });
    expect(await c.publish('ops', 1, 'p1')).toMatchObject({ type: 'ack', offset: 1 });

    await p.down();
    expect(await healthBecomes(http, 503)).toMatchObject({ ok: false, broker: false, connections: 1 });
    expect(await c.publish('ops', 2, 'p2')).toMatchObject({ type: 'error', code: 'BROKER_UNAVAILABLE' });
    await p.up();
    await healthBecomes(http, 200);
    expect(await c.publish('ops', 2, 'p2')).toMatchObject({ type: 'ack', offset: 2 });
    await waitFor(() => c.msgs('ops').length >= 2, 'both messages live');
    expect(c.msgs('ops').map((m) => m.offset)).toEqual([1, 2]);
    await waitFor(() => r.err.some((l) => l.includes('broker available again')), 'the recovery on stderr');
    expect(r.err.filter(aboutBrokerStatus).map((l) => /(WARNING: broker unavailable|broker available again)/.exec(l)?.[1])).toEqual([
      'WARNING: broker unavailable', 'broker available again',
    ]);
    expect(r.child.exitCode).toBe(null);

    r.child.kill('SIGINT');
    const drain = await c.next('drain');
    expect(drain).toMatchObject({ reconnectWindowMs: expect.any(Number) });
    expect((await c.waitClosed()).code).toBe(1012);
    expect(c.frames.at(-1)).toBe(drain);
    expect(await r.exit).toBe(0);
    expect(r.err.join('\n')).toMatch(/SIGINT: draining 1 connection/);
  }, 30_000);

  it('LIFELINE_BROKER names the broker (no password on argv); --dedupe-ttl-ms reaches Redis as the TTL of a publish id; --dedupe-window is said to do nothing', async () => {
    const r = run(['--port', '0', '--key-prefix', prefix, '--dedupe-ttl-ms', '1234567', '--dedupe-window', '5'], { LIFELINE_BROKER: REDIS_URL.toUpperCase() });
    const http = (await waitFor(() => r.out[0], 'the listening line', 15_000)).split(' ').at(-1)!.replace(/^ws/, 'http');
    expect(r.err.join('\n')).toMatch(/WARNING: --dedupe-window has no effect with the Redis broker/);
    await healthBecomes(http, 200);
    const pub = await fetch(`${http}/v1/publish`, { method: 'POST', body: JSON.stringify({ channel: 'dd', data: 1, id: 'once' }) });
    expect(pub.status).toBe(200);
    const redis = new Redis(REDIS_URL);
    try {
      const keys = await redis.keys(`${prefix}{dd}:id:*`);
      expect(keys).toHaveLength(1);
      const ttl = await redis.pttl(keys[0]!);
      // The default was 600000.
      expect(ttl).toBeGreaterThan(1_200_000);
      expect(ttl).toBeLessThanOrEqual(1_234_567);
    } finally {
      redis.disconnect();
    }
    r.child.kill('SIGTERM');
    expect(await r.exit).toBe(0);
  }, 30_000);

  it("the Redis client's own warning (a password Redis does not need) is a timestamped WARNING line like every other, the password not shown", async () => {
    const r = run(['--port', '0', '--key-prefix', prefix], { LIFELINE_BROKER: REDIS_URL.replace('//', '//:not-needed-pw@') });
    const http = (await waitFor(() => r.out[0], 'the listening line', 15_000)).split(' ').at(-1)!.replace(/^ws/, 'http');
    await healthBecomes(http, 200);
    await waitFor(() => r.err.some((l) => l.includes('does not require a password')), 'the Redis client warning');
    // It was a bare "[WARN] This Redis server's `default` user does not require a password…" line.
    expect(r.err.filter((l) => !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z lifeline-server: /.test(l))).toEqual([]);
    expect(r.err.find((l) => l.includes('does not require a password'))).toMatch(/lifeline-server: WARNING: This Redis server's `default` user does not require a password/);
    expect(r.err.join('\n')).not.toContain('not-needed-pw');
    // The broker is named at startup, host:port/db and key prefix, credentials as ***.
    expect(r.err.filter((l) => l.includes('lifeline-server: broker: '))).toEqual([
      expect.stringContaining(`lifeline-server: broker: redis at redis://***@127.0.0.1:6379/0, key prefix ${prefix} {"broker":"redis","address":"127.0.0.1:6379/0","keyPrefix":"${prefix}"}`),
    ]);
    r.child.kill('SIGTERM');
    expect(await r.exit).toBe(0);
  }, 30_000);

  it('a SIGTERM during startup, the Redis broker open and the listen not yet done: closes the broker, no listening line, exit 0 (it was killed, exit 143)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeline-cli-redis-slow-'));
    const preload = join(dir, 'slowListen.cjs');
    writeFileSync(preload, `const net = require('node:net');
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  process.stderr.write('test: listen held back\\n');
  setTimeout(() => listen.apply(this, args), 20000);
  return this;
};
`);
    try {
      const p = await redisProxy();
      const r = run(['--port', '0', '--broker', p.url, '--key-prefix', prefix], {}, ['--require', preload]);
      await waitFor(() => r.err.some((l) => l.includes('test: listen held back')), 'startup to reach listen', 15_000);
      r.child.kill('SIGTERM');
      expect(await r.exit).toBe(0);
      expect(r.err.join('\n')).toMatch(/SIGTERM during startup: stopping before listening/);
      expect(r.err.filter((l) => l.includes('ERROR'))).toEqual([]);
      expect(r.out).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
