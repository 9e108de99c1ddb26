import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCliArgs } from '../src/cliArgs';
import { waitFor } from './helpers/waitFor';
import { TestClient } from './helpers/wsClient';

const pkg = fileURLToPath(new URL('..', import.meta.url));
// Inside node_modules so the bundle resolves `ws` like the package does, and git ignores it.
const outDir = `${pkg}node_modules/.cache/lifeline-cli-test`;
const cliJs = `${outDir}/cli.mjs`;

/** Bundles the CLI from source (the dist may be stale while tests run from src). */
beforeAll(async () => {
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: [`${pkg}src/cli.ts`],
    outfile: cliJs,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['ws', 'ioredis'],
    alias: {
      '@lifeline/core/protocol': `${pkg}../core/src/protocol/index.ts`,
      '@lifeline/core': `${pkg}../core/src/index.ts`,
    },
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
function run(args: string[]): Run {
  const child = spawn(process.execPath, [cliJs, ...args], { stdio: 'pipe' });
  const r: Run = { child, out: [], err: [], exit: new Promise((resolve) => child.on('exit', (code) => resolve(code))) };
  child.stdout.on('data', (d) => r.out.push(...String(d).split('\n').filter(Boolean)));
  child.stderr.on('data', (d) => r.err.push(...String(d).split('\n').filter(Boolean)));
  running.push(r);
  return r;
}
afterAll(() => {
  for (const r of running) if (r.child.exitCode === null) r.child.kill('SIGKILL');
});

describe('CLI argument parsing', () => {
  it('reads every flag, with defaults', () => {
    expect(parseCliArgs([])).toMatchObject({ port: 8080, host: '127.0.0.1', broker: 'memory', testFaults: false });
    const c = parseCliArgs([
      '--port', '0', '--host', '::1', '--broker', 'redis://127.0.0.1:6379', '--retention', '50', '--heartbeat-ms', '2000',
      '--max-handshakes-per-sec', '100', '--auth-secret', 's', '--allowed-origins', 'https://a, https://b',
      '--tls-cert', 'c.pem', '--tls-key', 'k.pem', '--test-faults',
    ]);
    expect(c).toMatchObject({
      port: 0, host: '::1', broker: 'redis://127.0.0.1:6379', retention: 50, heartbeatMs: 2000, maxHandshakesPerSec: 100,
      authSecret: 's', allowedOrigins: ['https://a', 'https://b'], tlsCert: 'c.pem', tlsKey: 'k.pem', testFaults: true,
    });
    expect(parseCliArgs([], { LIFELINE_AUTH_SECRET: 'env' }).authSecret).toBe('env');
  });

  it('rejects bad values with a readable message', () => {
    expect(() => parseCliArgs(['--port', 'x'])).toThrow(/--port/);
    expect(() => parseCliArgs(['--broker', 'kafka'])).toThrow(/--broker/);
    expect(() => parseCliArgs(['--tls-cert', 'c.pem'])).toThrow(/together/);
    expect(() => parseCliArgs(['--wat'])).toThrow();
  });

  it('rejects numbers the server would refuse, naming the flag (exit 2 with usage, not a failure at startup)', () => {
    expect(() => parseCliArgs(['--port', ''])).toThrow(/--port must be an integer 0-65535, got ""/);
    expect(() => parseCliArgs(['--port', '80.5'])).toThrow(/--port/);
    expect(() => parseCliArgs(['--port', '65536'])).toThrow(/--port/);
    // A negative value after a space is still a value: the range check says what is wanted.
    expect(() => parseCliArgs(['--port', '-1'])).toThrow(/--port must be an integer 0-65535, got "-1"/);
    expect(() => parseCliArgs(['--retention', '-5', '--port', '0'])).toThrow(/--retention must be an integer >= 1, got "-5"/);
    expect(parseCliArgs(['--port', '0', '--host', '127.0.0.1']).port).toBe(0);
    expect(() => parseCliArgs(['--retention', '0'])).toThrow(/--retention must be an integer >= 1, got "0"/);
    expect(() => parseCliArgs(['--retention', '1.5'])).toThrow(/--retention/);
    expect(() => parseCliArgs(['--heartbeat-ms', '0'])).toThrow(/--heartbeat-ms must be a number > 0/);
    expect(() => parseCliArgs(['--max-handshakes-per-sec', '0'])).toThrow(/--max-handshakes-per-sec must be a number > 0/);
    expect(() => parseCliArgs(['--max-handshakes-per-sec', 'Infinity'])).toThrow(/--max-handshakes-per-sec/);
    expect(parseCliArgs(['--port', '0', '--retention', '1', '--max-handshakes-per-sec', '0.5'])).toMatchObject({
      port: 0, retention: 1, maxHandshakesPerSec: 0.5,
    });
    expect(parseCliArgs(['--max-connections', '500']).maxConnections).toBe(500);
    expect(() => parseCliArgs(['--max-connections', '0'])).toThrow(/--max-connections must be an integer >= 1, got "0"/);
    expect(parseCliArgs(['--http-publish-per-sec', '5000', '--http-timeout-ms', '5000'])).toMatchObject({ httpPublishPerSec: 5000, httpTimeoutMs: 5000 });
    expect(() => parseCliArgs(['--http-publish-per-sec', '0'])).toThrow(/--http-publish-per-sec must be a number > 0, got "0"/);
    expect(() => parseCliArgs(['--http-timeout-ms', 'soon'])).toThrow(/--http-timeout-ms must be a number > 0/);
  });

  it('--max-presence-info-bytes takes an integer >= 1; absent, the library default applies', () => {
    expect(parseCliArgs([]).maxPresenceInfoBytes).toBeUndefined();
    expect(parseCliArgs(['--max-presence-info-bytes', '8192']).maxPresenceInfoBytes).toBe(8192);
    expect(() => parseCliArgs(['--max-presence-info-bytes', '0'])).toThrow(/--max-presence-info-bytes must be an integer >= 1, got "0"/);
    expect(() => parseCliArgs(['--max-presence-info-bytes', '-1'])).toThrow(/--max-presence-info-bytes must be an integer >= 1, got "-1"/);
    expect(() => parseCliArgs(['--max-presence-info-bytes', '1.5'])).toThrow(/--max-presence-info-bytes/);
    expect(() => parseCliArgs(['--max-presence-info-bytes', ''])).toThrow(/--max-presence-info-bytes/);
  });

  it('--echo / --no-echo set echo; neither leaves the library default; both at once is refused', () => {
    expect(parseCliArgs([]).echo).toBeUndefined();
    expect(parseCliArgs(['--echo']).echo).toBe(true);
    expect(parseCliArgs(['--no-echo']).echo).toBe(false);
    expect(() => parseCliArgs(['--echo', '--no-echo'])).toThrow(/--echo and --no-echo contradict each other/);
    expect(() => parseCliArgs(['--no-echo', '--echo'])).toThrow(/--echo and --no-echo contradict each other/);
    // A value is not a boolean flag's: `--echo=false` must not turn /echo on.
    expect(() => parseCliArgs(['--echo=false'])).toThrow(/--echo/);
  });
});

/** 101 when the WebSocket upgrade at `url` is accepted (the socket is then closed), else the HTTP status. */
const upgradeStatus = (url: string): Promise<number> =>
  TestClient.open(url).then(
    (c) => {
      c.close();
      return 101;
    },
    (err: Error) => Number(/HTTP (\d+)/.exec(err.message)?.[1] ?? NaN),
  );

describe('lifeline-server process', () => {
  it('prints exactly one listening line, warns that it is open, serves, and drains on SIGTERM', async () => {
    const r = run(['--port', '0']);
    const line = await waitFor(() => r.out[0], 'the listening line', 15_000);
    expect(line).toMatch(/^lifeline-server listening on ws:\/\/127\.0\.0\.1:\d+$/);
    expect(r.err.join('\n')).toMatch(/OPEN/);
    expect(r.err.join('\n')).toMatch(/loopback/);
    const url = line.slice('lifeline-server listening on '.length);
    const c = await TestClient.connect(url);
    expect(await c.publish('cli', 1, 'c1')).toMatchObject({ type: 'ack', offset: 1 });
    r.child.kill('SIGTERM');
    expect(await c.next('drain')).toMatchObject({ reconnectWindowMs: 1000 });
    expect((await c.waitClosed()).code).toBe(1012);
    expect(await r.exit).toBe(0);
    expect(r.out).toHaveLength(1);
  }, 30_000);

  it('--http-publish-per-sec reaches the server: a burst of twice the rate, then 429', async () => {
    const r = run(['--port', '0', '--http-publish-per-sec', '1']);
    const line = await waitFor(() => r.out[0], 'the listening line', 15_000);
    const http = line.split(' ').at(-1)!.replace(/^ws/, 'http');
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${http}/v1/publish`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ channel: 'cli', data: i }) });
      await res.arrayBuffer();
      statuses.push(res.status);
    }
    expect(statuses).toEqual([200, 200, 429]);
    r.child.kill('SIGTERM');
    expect(await r.exit).toBe(0);
  }, 30_000);

  it('with --auth-secret it does not warn about being open and refuses a missing token', async () => {
    const r = run(['--port', '0', '--auth-secret', 'sekrit']);
    const line = await waitFor(() => r.out[0], 'the listening line', 15_000);
    expect(r.err.join('\n')).not.toMatch(/OPEN/);
    const c = await TestClient.open(`${line.split(' ').at(-1)}/v1`);
    c.send({ type: 'hello', v: 1 });
    expect((await c.waitClosed()).code).toBe(4100);
    // No --echo: the library default with a secret, /echo off.
    expect(await upgradeStatus(`${line.split(' ').at(-1)}/echo`)).toBe(404);
    r.child.kill('SIGTERM');
    expect(await r.exit).toBe(0);
  }, 30_000);

  it('--no-echo reaches the server: /echo answers 404 on an open server, /v1 still serves', async () => {
    const r = run(['--port', '0', '--no-echo']);
    const url = (await waitFor(() => r.out[0], 'the listening line', 15_000)).split(' ').at(-1)!;
    expect(await upgradeStatus(`${url}/echo`)).toBe(404);
    const c = await TestClient.connect(url);
    expect(await c.subscribe('cli')).toMatchObject({ type: 'subscribed' });
    r.child.kill('SIGTERM');
    expect(await r.exit).toBe(0);
  }, 30_000);

  it('--echo reaches the server: with --auth-secret /echo echoes, unauthenticated, and stderr warns so', async () => {
    const r = run(['--port', '0', '--auth-secret', 'sekrit', '--echo']);
    const url = (await waitFor(() => r.out[0], 'the listening line', 15_000)).split(' ').at(-1)!;
    expect(r.err.join('\n')).toMatch(/WARNING: echo: true with an auth secret: \/echo takes no token/);
    const c = await TestClient.open(`${url}/echo`);
    const echoed = new Promise<string>((resolve) => c.ws.once('message', (d) => resolve(String(d))));
    c.ws.send('hi');
    expect(await echoed).toBe('hi');
    r.child.kill('SIGTERM');
    expect(await r.exit).toBe(0);
  }, 30_000);

  it('exits 2 with usage when given both --echo and --no-echo', async () => {
    const r = run(['--port', '0', '--echo', '--no-echo']);
    expect(await r.exit).toBe(2);
    expect(r.err.join('\n')).toMatch(/--echo and --no-echo contradict each other[\s\S]*Usage: lifeline-server/);
    expect(r.out).toEqual([]);
  }, 30_000);

  it('--max-presence-info-bytes reaches the server: a presence.enter above it is refused with BAD_FIELD, one within it accepted', async () => {
    const r = run(['--port', '0', '--max-presence-info-bytes', '16']);
    const url = (await waitFor(() => r.out[0], 'the listening line', 15_000)).split(' ').at(-1)!;
    const c = await TestClient.connect(url);
    // {"n":"xxxxxxxxxx"} is 18 bytes of JSON, {"n":"xxxxxxxx"} 16.
    expect(await c.request({ type: 'presence.enter', channel: 'room', info: { n: 'x'.repeat(10) } })).toMatchObject({
      type: 'error', code: 'BAD_FIELD', message: 'presence.enter: "info" is above 16 bytes of JSON',
    });
    expect(await c.request({ type: 'presence.enter', channel: 'room', info: { n: 'x'.repeat(8) } })).toMatchObject({ type: 'presence.ok' });
    r.child.kill('SIGTERM');
    expect(await r.exit).toBe(0);
  }, 30_000);

  it('--tls-cert/--tls-key serve wss:// and say so in the listening line', async () => {
    const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
      keySize: 2048,
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
    } as never);
    const dir = mkdtempSync(join(tmpdir(), 'lifeline-cli-tls-'));
    writeFileSync(join(dir, 'cert.pem'), pems.cert);
    writeFileSync(join(dir, 'key.pem'), pems.private);
    const r = run(['--port', '0', '--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'key.pem')]);
    const line = await waitFor(() => r.out[0], 'the listening line', 15_000);
    expect(line).toMatch(/^lifeline-server listening on wss:\/\/127\.0\.0\.1:\d+$/);
    const c = await TestClient.connect(line.split(' ').at(-1)!, {}, { ca: pems.cert });
    expect(await c.subscribe('tls')).toMatchObject({ type: 'subscribed' });
    r.child.kill('SIGTERM');
    expect(await r.exit).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('fails with a clear message when the Redis broker module is not in the build', async () => {
    const r = run(['--port', '0', '--broker', 'redis://127.0.0.1:6379']);
    expect(await r.exit).toBe(1);
    expect(r.err.join('\n')).toMatch(/Redis broker is not available/);
    expect(r.out).toEqual([]);
  }, 30_000);

  it('exits 2 with usage on a bad flag', async () => {
    const r = run(['--port', 'nope']);
    expect(await r.exit).toBe(2);
    expect(r.err.join('\n')).toMatch(/Usage: lifeline-server/);
  }, 30_000);

  it('exits 2 with usage on a value the server cannot use (it used to fail with exit 1 after starting up)', async () => {
    const r = run(['--port', '0', '--retention', '0']);
    expect(await r.exit).toBe(2);
    expect(r.err.join('\n')).toMatch(/--retention must be an integer >= 1[\s\S]*Usage: lifeline-server/);
    expect(r.out).toEqual([]);
  }, 30_000);

  it('exits 1 with a clear message when the port is in use', async () => {
    const first = run(['--port', '0']);
    const line = await waitFor(() => first.out[0], 'the listening line', 15_000);
    const port = line.split(':').at(-1)!;
    const second = run(['--port', port]);
    expect(await second.exit).toBe(1);
    expect(second.err.join('\n')).toMatch(new RegExp(`ERROR: port ${port} on 127\\.0\\.0\\.1 is already in use`));
    expect(second.out).toEqual([]);
    first.child.kill('SIGTERM');
    expect(await first.exit).toBe(0);
  }, 30_000);

  it('says which flag names an unreadable TLS file', async () => {
    const r = run(['--port', '0', '--tls-cert', '/nonexistent/cert.pem', '--tls-key', '/nonexistent/key.pem']);
    expect(await r.exit).toBe(1);
    expect(r.err.join('\n')).toMatch(/ERROR: --tls-cert: cannot read \/nonexistent\/cert\.pem/);
  }, 30_000);
});
