import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrivateKey } from 'node:crypto';
import { parseCliArgs, redactUrl, USAGE } from '../src/cliArgs';
import { brokerLine } from '../src/cliBrokerLine';
import { createCliLogger, metaJson } from '../src/cliLogger';
import { bundleCli } from './helpers/cliBundle';
import { waitFor } from './helpers/waitFor';
import { TestClient, upgradeStatus } from './helpers/wsClient';

let cliJs = '';
beforeAll(async () => {
  cliJs = await bundleCli('lifeline-cli-test');
}, 30_000);

interface Run {
  child: ChildProcessWithoutNullStreams;
  out: string[];
  err: string[];
  exit: Promise<number | null>;
}
const running: Run[] = [];
const rawOf = (c: TestClient) => (c.ws as unknown as { _socket: { pause(): void } })._socket;
/** `env` is added to the test's own environment; `nodeArgs` go before the script (e.g. `--require`). */
function run(args: string[], opts: { env?: Record<string, string>; nodeArgs?: string[] } = {}): Run {
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), cliJs, ...args], { stdio: 'pipe', env: { ...process.env, ...opts.env } });
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
    // An unset $VAR: it allowed every origin.
    expect(() => parseCliArgs(['--allowed-origins', ''])).toThrow(/--allowed-origins needs at least one/);
    expect(() => parseCliArgs(['--allowed-origins', ' , '])).toThrow(/--allowed-origins/);
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
    expect(parseCliArgs([]).publishPerSec).toBeUndefined();
    expect(parseCliArgs(['--publish-per-sec', '2500']).publishPerSec).toBe(2500);
    expect(() => parseCliArgs(['--publish-per-sec', '0'])).toThrow(/--publish-per-sec must be a number > 0, got "0"/);
    expect(USAGE).toMatch(/--publish-per-sec <n> .*\(default 100, burst 2x\)/);
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

  it('--drain-timeout-ms takes an integer >= 1, like the other count flags; absent, the library default (10000) applies', () => {
    expect(parseCliArgs([]).drainTimeoutMs).toBeUndefined();
    expect(parseCliArgs(['--drain-timeout-ms', '30000']).drainTimeoutMs).toBe(30_000);
    expect(parseCliArgs(['--drain-timeout-ms=1']).drainTimeoutMs).toBe(1);
    for (const bad of ['0', '-5', '1.5', '', 'soon', 'Infinity']) {
      expect(() => parseCliArgs(['--drain-timeout-ms', bad])).toThrow(`--drain-timeout-ms must be an integer >= 1, got "${bad}"`);
    }
    expect(() => parseCliArgs(['--drain-timeout-ms'])).toThrow(/--drain-timeout-ms/);
    expect(USAGE).toMatch(/--drain-timeout-ms <n> .*\(default 10000\)/);
  });

  it('--drain-delay-ms takes an integer >= 0 (0 is its default, no delay); absent, the library default applies; --help lists it', () => {
    expect(parseCliArgs([]).drainDelayMs).toBeUndefined();
    expect(parseCliArgs(['--drain-delay-ms', '0']).drainDelayMs).toBe(0);
    expect(parseCliArgs(['--drain-delay-ms', '15000']).drainDelayMs).toBe(15_000);
    expect(parseCliArgs(['--drain-delay-ms=1']).drainDelayMs).toBe(1);
    for (const bad of ['-5', '1.5', '', 'soon', 'Infinity', '1e3']) {
      expect(() => parseCliArgs(['--drain-delay-ms', bad]), bad).toThrow(`--drain-delay-ms must be an integer >= 0, got "${bad}"`);
    }
    // The count flags still refuse 0.
    expect(() => parseCliArgs(['--drain-timeout-ms', '0'])).toThrow('--drain-timeout-ms must be an integer >= 1, got "0"');
    expect(USAGE).toMatch(/--drain-delay-ms <n> .*\(default 0\)/);
  });

  it('numeric flags take plain decimal digits only: hex, exponents, signs and padding are refused, naming the flag (Number() took them: --port 0x10 listened on 16)', () => {
    for (const bad of ['0x10', '1e3', '0b1', '0o17', '+80', ' 80', '80 ', '8_080', '1.', '.5']) {
      expect(() => parseCliArgs(['--port', bad]), bad).toThrow(`--port must be an integer 0-65535, got "${bad}"`);
    }
    expect(() => parseCliArgs(['--port', '0x10'])).toThrow('(plain decimal digits only)');
    for (const flag of ['--retention', '--max-connections', '--max-presence-info-bytes', '--drain-timeout-ms']) {
      for (const bad of ['0x10', '1e3', '+5', ' 5', '5.0']) expect(() => parseCliArgs([flag, bad]), `${flag} ${bad}`).toThrow(`${flag} must be an integer >= 1, got "${bad}"`);
    }
    for (const flag of ['--heartbeat-ms', '--max-handshakes-per-sec', '--publish-per-sec', '--http-publish-per-sec', '--http-timeout-ms']) {
      for (const bad of ['0x10', '1e3', '+5', ' 5', '.5', '5.']) expect(() => parseCliArgs([flag, bad]), `${flag} ${bad}`).toThrow(`${flag} must be a number > 0, got "${bad}"`);
    }
    expect(parseCliArgs(['--port', '65535', '--retention', '0050', '--heartbeat-ms', '2500.5', '--max-handshakes-per-sec', '0.25'])).toMatchObject({
      port: 65535, retention: 50, heartbeatMs: 2500.5, maxHandshakesPerSec: 0.25,
    });
    expect(parseCliArgs(['--port=0']).port).toBe(0);
  });

  it('an empty or blank --host is refused, naming the flag and how to bind every interface (Node bound every interface for "")', () => {
    for (const bad of ['', ' ']) {
      expect(() => parseCliArgs(['--host', bad])).toThrow(/--host needs an address, got ""; pass --host 0\.0\.0\.0 \(or ::\) to bind every interface/);
    }
    expect(() => parseCliArgs(['--host='])).toThrow(/--host needs an address/);
    expect(parseCliArgs(['--host', '0.0.0.0']).host).toBe('0.0.0.0');
    expect(parseCliArgs(['--host', '::']).host).toBe('::');
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

  it('--metrics / --no-metrics set metrics; neither leaves the library default (on); both at once is refused; --help lists both', () => {
    expect(parseCliArgs([]).metrics).toBeUndefined();
    expect(parseCliArgs(['--metrics']).metrics).toBe(true);
    expect(parseCliArgs(['--no-metrics']).metrics).toBe(false);
    expect(() => parseCliArgs(['--metrics', '--no-metrics'])).toThrow(/--metrics and --no-metrics contradict each other/);
    expect(() => parseCliArgs(['--no-metrics', '--metrics'])).toThrow(/--metrics and --no-metrics contradict each other/);
    // A value is not a boolean flag's: `--no-metrics=true` must not be read as anything.
    expect(() => parseCliArgs(['--metrics=false'])).toThrow(/--metrics/);
    expect(USAGE).toMatch(/--metrics \| --no-metrics .*\(default on\)/);
  });

  it('an empty or blank auth secret, from the flag or LIFELINE_AUTH_SECRET, is refused, saying how to run open on purpose (it started an OPEN server)', () => {
    const howOpen = 'to run an OPEN server (no token needed) on purpose, leave out both --auth-secret and LIFELINE_AUTH_SECRET';
    for (const blank of ['', ' ', '\t\n']) {
      expect(() => parseCliArgs(['--auth-secret', blank])).toThrow(`--auth-secret is empty; ${howOpen}`);
      expect(() => parseCliArgs([], { LIFELINE_AUTH_SECRET: blank })).toThrow(`LIFELINE_AUTH_SECRET is empty; ${howOpen}`);
      // `--auth-secret ''` (an unset $VAR) overrode a good secret in the environment.
      expect(() => parseCliArgs(['--auth-secret', blank], { LIFELINE_AUTH_SECRET: 'x'.repeat(32) })).toThrow(/--auth-secret is empty/);
    }
    expect(() => parseCliArgs(['--auth-secret='])).toThrow(/--auth-secret is empty/);
    expect(parseCliArgs([]).authSecret).toBeUndefined();
    expect(parseCliArgs(['--auth-secret', 'flag'], { LIFELINE_AUTH_SECRET: 'env' }).authSecret).toBe('flag');
  });

  it('a secret under 32 bytes is used but warned about (HS256 key strength); 32 bytes is not', () => {
    expect(parseCliArgs(['--auth-secret', 'sekrit'])).toMatchObject({
      authSecret: 'sekrit', warnings: ['--auth-secret is 6 byte(s); HS256 wants at least 32 random bytes (e.g. openssl rand -base64 32)'],
    });
    expect(parseCliArgs([], { LIFELINE_AUTH_SECRET: 'é'.repeat(15) }).warnings).toEqual([
      'LIFELINE_AUTH_SECRET is 30 byte(s); HS256 wants at least 32 random bytes (e.g. openssl rand -base64 32)',
    ]);
    expect(parseCliArgs(['--auth-secret', 'x'.repeat(32)]).warnings).toEqual([]);
    expect(parseCliArgs(['--auth-secret', ` ${'x'.repeat(32)}`]).warnings).toEqual(['--auth-secret starts or ends with whitespace, which is part of the secret']);
    expect(parseCliArgs([]).warnings).toEqual([]);
  });

  it('integer flags are capped at 2^53 - 1: above it a number is not exact (--retention 1e20 made every Redis publish fail)', () => {
    for (const flag of ['--retention', '--max-connections', '--max-presence-info-bytes', '--drain-timeout-ms', '--dedupe-ttl-ms', '--dedupe-window']) {
      expect(parseCliArgs([flag, '9007199254740991']), flag).toBeDefined();
      for (const big of ['9007199254740992', '99999999999999999999']) {
        expect(() => parseCliArgs([flag, big]), `${flag} ${big}`).toThrow(`${flag} must be at most 9007199254740991 (2^53 - 1), got "${big}"`);
      }
    }
    expect(parseCliArgs(['--retention', '9007199254740991']).retention).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => parseCliArgs(['--heartbeat-ms', '99999999999999999999'])).toThrow(/--heartbeat-ms must be at most 9007199254740991/);
  });

  it('--allowed-origins entries must be origins as browsers send them, or it names the entry and what to write (they matched nothing)', () => {
    expect(parseCliArgs(['--allowed-origins', 'https://a.com, http://localhost:3000,http://[::1]:8080']).allowedOrigins).toEqual([
      'https://a.com', 'http://localhost:3000', 'http://[::1]:8080',
    ]);
    const fixes: [string, string][] = [
      ['https://a.com/', 'https://a.com'],
      ['https://a.com/app', 'https://a.com'],
      ['https://A.com', 'https://a.com'],
      ['https://a.com:443', 'https://a.com'],
    ];
    for (const [bad, good] of fixes) {
      expect(() => parseCliArgs(['--allowed-origins', `https://ok.com,${bad}`]), bad).toThrow(`--allowed-origins: "${bad}" never matches a browser's Origin header; write "${good}"`);
    }
    for (const bad of ['*', 'a.com', 'localhost:3000', 'null', 'file:///x']) {
      expect(() => parseCliArgs(['--allowed-origins', bad]), bad).toThrow(`--allowed-origins: "${bad}" is not an origin; write scheme://host[:port]`);
    }
  });

  it('--broker: LIFELINE_BROKER when the flag is absent, any case of the scheme, a URL that parses and names a host, passwords never echoed', () => {
    expect(parseCliArgs([], { LIFELINE_BROKER: 'redis://:pw@127.0.0.1:6379/2' }).broker).toBe('redis://:pw@127.0.0.1:6379/2');
    expect(parseCliArgs(['--broker', 'memory'], { LIFELINE_BROKER: 'redis://h' }).broker).toBe('memory');
    expect(parseCliArgs(['--broker', 'REDIS://h:6379']).broker).toBe('redis://h:6379');
    expect(parseCliArgs(['--broker', 'RedisS://h']).broker).toBe('rediss://h');
    expect(parseCliArgs(['--broker', 'MEMORY']).broker).toBe('memory');
    expect(() => parseCliArgs([], { LIFELINE_BROKER: '' })).toThrow('LIFELINE_BROKER is empty');
    expect(() => parseCliArgs(['--broker', ' '])).toThrow('--broker is empty');
    // It died at startup with "ERROR: Invalid URL" (exit 1), naming nothing.
    expect(() => parseCliArgs(['--broker', 'redis://user:hunter2@127.0.0.1:notaport'])).toThrow(
      '--broker is not a valid URL: "redis://***@127.0.0.1:notaport"; write redis://[user:password@]host[:port][/db]',
    );
    expect(() => parseCliArgs([], { LIFELINE_BROKER: 'redis://h:99999' })).toThrow(/^LIFELINE_BROKER is not a valid URL/);
    expect(() => parseCliArgs(['--broker', 'redis://'])).toThrow('--broker names no host: "redis://"');
    expect(() => parseCliArgs(['--broker', 'kafka://u:hunter2@h'])).toThrow('--broker must be "memory" or a redis:// URL, got "kafka://***@h"');
    expect(() => parseCliArgs(['--broker', 'u:hunter2@h:6379'])).toThrow('got "***@h:6379"');
    expect(redactUrl('redis://u:p@ss@h:1/0')).toBe('redis://***@h:1/0');
    expect(redactUrl('rediss://h:1')).toBe('rediss://h:1');
  });

  it('--broker / LIFELINE_BROKER with a database that is not a whole number exits 2 naming it (it crashed the server, or used another database)', () => {
    expect(() => parseCliArgs(['--broker', 'redis://u:hunter2@127.0.0.1:6379/abc'])).toThrow(
      '--broker names database "abc"; the database is a whole number after the host: redis://host:6379/2, got "redis://***@127.0.0.1:6379/abc"',
    );
    expect(() => parseCliArgs([], { LIFELINE_BROKER: 'redis://h/1.5' })).toThrow(/^LIFELINE_BROKER names database "1\.5"/);
    expect(() => parseCliArgs(['--broker', 'redis://h?db=x'])).toThrow('--broker names database "x" (?db=)');
    expect(parseCliArgs(['--broker', 'redis://h:6379/2']).broker).toBe('redis://h:6379/2');
  });

  it('--key-prefix "" is refused (keys at the root of the database); with memory it is warned about', () => {
    for (const blank of ['', ' ']) expect(() => parseCliArgs(['--broker', 'redis://h', '--key-prefix', blank])).toThrow('--key-prefix needs a value, got ""; leave it out for the default lifeline:');
    expect(parseCliArgs(['--broker', 'redis://h', '--key-prefix', 'app:']).keyPrefix).toBe('app:');
    expect(parseCliArgs(['--key-prefix', 'app:']).warnings).toEqual(['--key-prefix has no effect with the memory broker']);
  });

  it('--dedupe-ttl-ms and --dedupe-window are integers >= 1, absent by default; --dedupe-window is warned about with Redis', () => {
    expect(parseCliArgs([])).toMatchObject({ dedupeTtlMs: undefined, dedupeWindow: undefined });
    expect(parseCliArgs(['--dedupe-ttl-ms', '60000', '--dedupe-window', '500'])).toMatchObject({ dedupeTtlMs: 60_000, dedupeWindow: 500, warnings: [] });
    for (const flag of ['--dedupe-ttl-ms', '--dedupe-window']) {
      for (const bad of ['0', '1.5', '', 'x']) expect(() => parseCliArgs([flag, bad])).toThrow(`${flag} must be an integer >= 1, got "${bad}"`);
    }
    expect(parseCliArgs(['--broker', 'redis://h', '--dedupe-window', '5', '--dedupe-ttl-ms', '5']).warnings).toEqual([
      '--dedupe-window has no effect with the Redis broker (ids expire after --dedupe-ttl-ms)',
    ]);
    expect(USAGE).toMatch(/--dedupe-ttl-ms <n> .*\(default 600000\)/);
    expect(USAGE).toMatch(/--dedupe-window <n> .*memory broker only \(default 10000\)/);
  });
});

describe('CLI broker line', () => {
  it('names the memory broker', () => {
    expect(brokerLine('memory', undefined)).toEqual({
      msg: 'broker: memory (channels, history and presence live in this process only; shared with no other node)',
      meta: { broker: 'memory' },
    });
  });

  it('names a Redis broker by host:port/db and key prefix, defaults filled in, never the user or password', () => {
    expect(brokerLine('redis://10.0.0.5', undefined)).toEqual({
      msg: 'broker: redis at redis://10.0.0.5:6379/0, key prefix lifeline:',
      meta: { broker: 'redis', address: '10.0.0.5:6379/0', keyPrefix: 'lifeline:' },
    });
    const withCreds = brokerLine('rediss://app:s3cret-pw@redis.internal:6380/2', 'myapp:');
    expect(withCreds.msg).toBe('broker: redis at rediss://***@redis.internal:6380/2, key prefix myapp:');
    expect(JSON.stringify(withCreds)).not.toMatch(/s3cret-pw|app:s3/);
    expect(brokerLine('redis://:pw@[::1]:7000?db=3', undefined).msg).toBe('broker: redis at redis://***@[::1]:7000/3, key prefix lifeline:');
  });
});

describe('CLI logger', () => {
  const at = new Date('2026-11-22T10:00:00.123Z');
  const logged = () => {
    const lines: string[] = [];
    return { lines, logger: createCliLogger((l) => void lines.push(l), () => at) };
  };

  it('prints an ISO timestamp and the meta as compact JSON at every level (info and warn dropped the meta, no line had a time)', () => {
    const { lines, logger } = logged();
    logger.info('heartbeat timeout: terminating', { session: 's_1' });
    logger.warn('drain: 1 connection(s) still open after 200 ms; terminating them', { connections: 1, timeoutMs: 200 });
    logger.error('broker error', { channel: 'room', err: 'boom' });
    logger.debug('frame', { type: 'pub' });
    logger.info('no meta');
    logger.warn('empty meta', {});
    expect(lines).toEqual([
      '2026-11-22T10:00:00.123Z lifeline-server: heartbeat timeout: terminating {"session":"s_1"}\n',
      '2026-11-22T10:00:00.123Z lifeline-server: WARNING: drain: 1 connection(s) still open after 200 ms; terminating them {"connections":1,"timeoutMs":200}\n',
      '2026-11-22T10:00:00.123Z lifeline-server: ERROR: broker error {"channel":"room","err":"boom"}\n',
      '2026-11-22T10:00:00.123Z lifeline-server: DEBUG: frame {"type":"pub"}\n',
      '2026-11-22T10:00:00.123Z lifeline-server: no meta\n',
      '2026-11-22T10:00:00.123Z lifeline-server: WARNING: empty meta\n',
    ]);
  });

  it('writes any meta on one line without throwing: errors by message, bigints as strings, circular ones named', () => {
    expect(metaJson({ err: new Error('ECONNREFUSED'), n: 10n, nested: { s: 'a\nb' } })).toBe('{"err":"ECONNREFUSED","n":"10","nested":{"s":"a\\nb"}}');
    const circular: Record<string, unknown> = { a: 1 };
    circular.self = circular;
    expect(metaJson(circular)).toMatch(/^\{"meta":"unprintable \(.*circular/);
    const { lines, logger } = logged();
    logger.error('x', circular);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.split('\n')).toHaveLength(2); // one line, then the newline
  });
});

describe('lifeline-server process', () => {
  it('prints exactly one listening line, warns that it is open, serves, and drains on SIGTERM', async () => {
    const r = run(['--port', '0']);
    const line = await waitFor(() => r.out[0], 'the listening line', 15_000);
    expect(line).toMatch(/^lifeline-server listening on ws:\/\/127\.0\.0\.1:\d+$/);
    expect(r.err.join('\n')).toMatch(/OPEN/);
    // Printed after the listening line (stdout), so it may reach the test a moment later.
    await waitFor(() => r.err.find((l) => /loopback/.test(l)), 'the loopback line', 5000);
    // The broker is named once, after the listening line, in the log format.
    expect(r.err.filter((l) => / lifeline-server: broker: /.test(l))).toEqual([
      expect.stringMatching(/^\S+Z lifeline-server: broker: memory \(channels, history and presence live in this process only; shared with no other node\) \{"broker":"memory"\}$/),
    ]);
    // Every stderr line carries its time.
    expect(r.err.filter((l) => !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z lifeline-server: /.test(l))).toEqual([]);
    const url = line.slice('lifeline-server listening on '.length);
    const c = await TestClient.connect(url);
    expect(await c.publish('cli', 1, 'c1')).toMatchObject({ type: 'ack', offset: 1 });
    r.child.kill('SIGTERM');
    expect(await c.next('drain')).toMatchObject({ reconnectWindowMs: 1000 });
    expect((await c.waitClosed()).code).toBe(1012);
    expect(await r.exit).toBe(0);
    expect(r.out).toHaveLength(1);
  }, 30_000);

  it('SIGHUP drains like SIGTERM, exit 0 (the Node default, even under nohup, dropped every client at once: exit 129)', async () => {
    const r = run(['--port', '0']);
    const url = (await waitFor(() => r.out[0], 'the listening line', 15_000)).split(' ').at(-1)!;
    const c = await TestClient.connect(url);
    r.child.kill('SIGHUP');
    expect(await c.next('drain')).toMatchObject({ reconnectWindowMs: 1000 });
    expect((await c.waitClosed()).code).toBe(1012);
    expect(await r.exit).toBe(0);
    expect(r.err.join('\n')).toMatch(/SIGHUP: draining 1 connection\(s\)/);
  }, 30_000);

  it('--drain-timeout-ms reaches the drain: a client that does not answer the close is cut after it, said on stderr, exit 0', async () => {
    const r = run(['--port', '0', '--drain-timeout-ms', '300']);
    const url = (await waitFor(() => r.out[0], 'the listening line', 15_000)).split(' ').at(-1)!;
    const c = await TestClient.connect(url);
    rawOf(c).pause(); // reads neither the drain frame nor the close: only the deadline ends it
    r.child.kill('SIGTERM');
    expect(await r.exit).toBe(0);
    const err = r.err.join('\n');
    expect(err).toMatch(/SIGTERM: draining 1 connection\(s\); clients still connected after 300 ms are cut/);
    expect(err).toMatch(/WARNING: drain: 1 connection\(s\) still open after 300 ms; terminating them \{"connections":1,"timeoutMs":300\}/);
    c.ws.terminate();
  }, 30_000);

  it('a second SIGTERM during the drain exits at once with status 1 and says so', async () => {
    const r = run(['--port', '0']); // the default deadline (10 s) holds the drain open
    const url = (await waitFor(() => r.out[0], 'the listening line', 15_000)).split(' ').at(-1)!;
    const c = await TestClient.connect(url);
    rawOf(c).pause();
    r.child.kill('SIGTERM');
    await waitFor(() => r.err.some((l) => l.includes('SIGTERM: draining 1 connection(s); clients still connected after 10000 ms are cut')), 'the drain to start');
    r.child.kill('SIGTERM');
    expect(await r.exit).toBe(1);
    expect(r.err.join('\n')).toMatch(/WARNING: SIGTERM again: exiting now, before the drain finished \(exit 1\)/);
    c.ws.terminate();
  }, 30_000);

  it('--drain-delay-ms: on SIGTERM /healthz turns 503 while an HTTP publish and a new client are still served; a second SIGTERM then exits 1 at once', async () => {
    const r = run(['--port', '0', '--drain-delay-ms', '60000']);
    const url = (await waitFor(() => r.out[0], 'the listening line', 15_000)).split(' ').at(-1)!;
    const http = url.replace(/^ws/, 'http');
    const before = await TestClient.connect(url);
    await before.subscribe('cli');
    expect((await fetch(`${http}/healthz`)).status).toBe(200);
    r.child.kill('SIGTERM');
    await waitFor(() => r.err.some((l) => l.includes('SIGTERM: not ready for 60000 ms (/healthz 503, still serving), then draining')), 'the delay to start');
    expect(r.err.join('\n')).toMatch(/drain: not ready for 60000 ms before draining \(.*\) \{"delayMs":60000\}/);
    const health = await fetch(`${http}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ draining: true });
    const pub = await fetch(`${http}/v1/publish`, { method: 'POST', body: JSON.stringify({ channel: 'cli', data: 'still served', id: 'p1' }) });
    expect(pub.status).toBe(200);
    expect(await before.next('msg', (m) => m.data === 'still served')).toBeTruthy();
    const during = await TestClient.connect(url);
    expect(await during.publish('cli', 2, 'p2')).toMatchObject({ type: 'ack', offset: 2 });
    expect(before.frames.some((f) => f.type === 'drain')).toBe(false);
    r.child.kill('SIGTERM');
    expect(await r.exit).toBe(1);
    expect(r.err.join('\n')).toMatch(/WARNING: SIGTERM again: exiting now, before the drain finished \(exit 1\)/);
    before.ws.terminate();
    during.ws.terminate();
  }, 30_000);

  it('--drain-delay-ms: the drain proper follows the delay (drain frame, 1012, exit 0)', async () => {
    const r = run(['--port', '0', '--drain-delay-ms', '200']);
    const url = (await waitFor(() => r.out[0], 'the listening line', 15_000)).split(' ').at(-1)!;
    const c = await TestClient.connect(url);
    r.child.kill('SIGTERM');
    expect(await c.next('drain')).toMatchObject({ reconnectWindowMs: 1000 });
    expect((await c.waitClosed()).code).toBe(1012);
    expect(await r.exit).toBe(0);
    const err = r.err.join('\n');
    expect(err.indexOf('drain: not ready for 200 ms')).toBeGreaterThan(-1);
    expect(err.indexOf('drain: 1 session(s)')).toBeGreaterThan(err.indexOf('drain: not ready for 200 ms'));
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

  it('--publish-per-sec reaches the server: a WebSocket burst of twice the rate, then RATE_LIMITED', async () => {
    const r = run(['--port', '0', '--publish-per-sec', '1']);
    const url = (await waitFor(() => r.out[0], 'the listening line', 15_000)).split(' ').at(-1)!;
    const c = await TestClient.connect(url);
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await c.publish('cli', i, `p${i}`));
    expect(answers.map((f) => (f.type === 'ack' ? 'ack' : f.code))).toEqual(['ack', 'ack', 'RATE_LIMITED']);
    c.close();
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

  it('--no-metrics reaches the server: /metrics answers 404; without it /metrics serves the exposition format', async () => {
    const off = run(['--port', '0', '--no-metrics']);
    const offUrl = (await waitFor(() => off.out[0], 'the listening line', 15_000)).split(' ').at(-1)!.replace(/^ws/, 'http');
    expect((await fetch(`${offUrl}/metrics`)).status).toBe(404);
    expect((await fetch(`${offUrl}/healthz`)).status).toBe(200);
    off.child.kill('SIGTERM');
    expect(await off.exit).toBe(0);
    const on = run(['--port', '0']);
    const onUrl = (await waitFor(() => on.out[0], 'the listening line', 15_000)).split(' ').at(-1)!.replace(/^ws/, 'http');
    const res = await fetch(`${onUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/^lifeline_connections 0$/m);
    on.child.kill('SIGTERM');
    expect(await on.exit).toBe(0);
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

  it('exits 2 with usage for --host "" and for --port 0x10, before listening (they bound every interface / port 16)', async () => {
    for (const args of [['--port', '0', '--host', ''], ['--port', '0x10']]) {
      const r = run(args);
      expect(await r.exit, args.join(' ')).toBe(2);
      expect(r.err.join('\n')).toMatch(new RegExp(`${args.at(-2)} [\\s\\S]*Usage: lifeline-server`));
      expect(r.out).toEqual([]);
    }
  }, 30_000);

  it('exits 1 with a clear message when the port is in use', async () => {
    const first = run(['--port', '0']);
    const line = await waitFor(() => first.out[0], 'the listening line', 15_000);
    const port = line.split(':').at(-1)!;
    const second = run(['--port', port]);
    expect(await second.exit).toBe(1);
    expect(second.err.join('\n')).toMatch(new RegExp(`ERROR: port ${port} on 127\\.0\\.0\\.1 is already in use`));
    // Said only once listening: it was printed before the failure too.
    expect(second.err.join('\n')).not.toMatch(/bound to loopback/);
    expect(second.out).toEqual([]);
    first.child.kill('SIGTERM');
    expect(await first.exit).toBe(0);
  }, 30_000);

  it('exits 1 naming --host when the address is not one of this machine (Node said only "listen EADDRNOTAVAIL")', async () => {
    // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never assigned to an interface.
    const r = run(['--port', '0', '--host', '192.0.2.1']);
    expect(await r.exit).toBe(1);
    expect(r.err.join('\n')).toMatch(/ERROR: --host 192\.0\.2\.1: no interface of this machine has that address; pass one it has, or 0\.0\.0\.0 \(or ::\) for every interface/);
    expect(r.out).toEqual([]);
  }, 30_000);

  it('exits 2 for an empty --auth-secret or LIFELINE_AUTH_SECRET, before listening (it started an OPEN server), and warns about a short one', async () => {
    for (const [args, env, message] of [
      [['--auth-secret', ''], {}, /--auth-secret is empty; to run an OPEN server \(no token needed\) on purpose, leave out both/],
      [[], { LIFELINE_AUTH_SECRET: '' }, /LIFELINE_AUTH_SECRET is empty/],
      [['--auth-secret', ' '], { LIFELINE_AUTH_SECRET: 'x'.repeat(32) }, /--auth-secret is empty/],
    ] as [string[], Record<string, string>, RegExp][]) {
      const r = run(['--port', '0', ...args], { env });
      expect(await r.exit, JSON.stringify([args, env])).toBe(2);
      expect(r.err.join('\n')).toMatch(message);
      expect(r.out).toEqual([]);
    }
    const r = run(['--port', '0'], { env: { LIFELINE_AUTH_SECRET: 'sekrit' } });
    await waitFor(() => r.out[0], 'the listening line', 15_000);
    expect(r.err.join('\n')).toMatch(/WARNING: LIFELINE_AUTH_SECRET is 6 byte\(s\); HS256 wants at least 32 random bytes/);
    expect(r.err.join('\n')).not.toMatch(/OPEN/);
    r.child.kill('SIGTERM');
    expect(await r.exit).toBe(0);
  }, 30_000);

  it('exits 2 naming --broker for a URL that does not parse, without echoing its password (it was "ERROR: Invalid URL", exit 1)', async () => {
    for (const [args, env, from] of [
      [['--broker', 'redis://app:hunter2@127.0.0.1:notaport'], {}, '--broker'],
      [[], { LIFELINE_BROKER: 'REDIS://app:hunter2@127.0.0.1:notaport' }, 'LIFELINE_BROKER'],
    ] as [string[], Record<string, string>, string][]) {
      const r = run(['--port', '0', ...args], { env });
      expect(await r.exit).toBe(2);
      const err = r.err.join('\n');
      expect(err).toContain(`${from} is not a valid URL: "`);
      expect(err).toContain('://***@127.0.0.1:notaport"');
      expect(err).not.toContain('hunter2');
      expect(r.out).toEqual([]);
    }
  }, 30_000);

  it('exits 2 for --key-prefix "" and for an origin that can never match', async () => {
    for (const [args, message] of [
      [['--key-prefix', ''], /--key-prefix needs a value/],
      [['--allowed-origins', 'https://app.example.com/'], /--allowed-origins: "https:\/\/app\.example\.com\/" never matches a browser's Origin header; write "https:\/\/app\.example\.com"/],
      [['--retention', '99999999999999999999'], /--retention must be at most 9007199254740991/],
    ] as [string[], RegExp][]) {
      const r = run(['--port', '0', ...args]);
      expect(await r.exit, args.join(' ')).toBe(2);
      expect(r.err.join('\n')).toMatch(message);
      expect(r.out).toEqual([]);
    }
  }, 30_000);

  it('--dedupe-window and --dedupe-ttl-ms reach the memory broker: an id past either is stored again; by default it is acknowledged with its first offset', async () => {
    const offsets = async (args: string[], between = async () => {}): Promise<number[]> => {
      const r = run(['--port', '0', ...args]);
      const url = (await waitFor(() => r.out[0], 'the listening line', 15_000)).split(' ').at(-1)!;
      const c = await TestClient.connect(url);
      const out: number[] = [];
      for (const id of ['a', 'b', 'a']) {
        const ack = await c.publish('dd', id, id);
        out.push(ack.type === 'ack' ? ack.offset : NaN);
        await between();
      }
      c.close();
      r.child.kill('SIGTERM');
      expect(await r.exit).toBe(0);
      return out;
    };
    expect(await offsets([])).toEqual([1, 2, 1]);
    expect(await offsets(['--dedupe-window', '1'])).toEqual([1, 2, 3]);
    // No clock to inject into another process: the server stored the id before its ack
    // came back, so 2 ms of this process's clock after the ack puts it past a 1 ms TTL.
    const pastTtl = async () => {
      const acked = Date.now();
      await waitFor(() => Date.now() >= acked + 2, 'the clock to pass the TTL');
    };
    expect(await offsets(['--dedupe-ttl-ms', '1'], pastTtl)).toEqual([1, 2, 3]);
    expect(await offsets([], pastTtl)).toEqual([1, 2, 1]);
  }, 30_000);

  it('the memory broker the CLI builds (for --dedupe-window) belongs to the server: a drain holds no presence for other nodes and does not wait on it', async () => {
    const r = run(['--port', '0', '--dedupe-window', '100']);
    const url = (await waitFor(() => r.out[0], 'the listening line', 15_000)).split(' ').at(-1)!;
    const c = await TestClient.connect(url);
    expect(await c.request({ type: 'presence.enter', channel: 'room', info: { n: 1 } })).toMatchObject({ type: 'presence.ok' });
    r.child.kill('SIGTERM');
    expect((await c.waitClosed()).code).toBe(1012);
    expect(await r.exit).toBe(0);
    // A broker passed in is taken as shared: the drain held presence (window + grace) for nodes that do not exist.
    expect(r.err.join('\n')).not.toMatch(/holding presence/);
  }, 30_000);

  it('a SIGTERM during startup stops it: no listening line, exit 0 (before, the handlers came after listening: killed, exit 143)', async () => {
    // A preload holds the listen back, as a slow startup step would, and says when it started.
    const dir = mkdtempSync(join(tmpdir(), 'lifeline-cli-slow-'));
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
      const r = run(['--port', '0'], { nodeArgs: ['--require', preload] });
      await waitFor(() => r.err.some((l) => l.includes('test: listen held back')), 'startup to reach listen', 15_000);
      r.child.kill('SIGTERM');
      expect(await r.exit).toBe(0);
      expect(r.err.join('\n')).toMatch(/SIGTERM during startup: stopping before listening/);
      expect(r.out).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('refuses an encrypted --tls-key, saying so and how to decrypt it (Node said "interrupted or cancelled")', async () => {
    const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], { keySize: 2048 } as never);
    const dir = mkdtempSync(join(tmpdir(), 'lifeline-cli-tls-enc-'));
    try {
      const cert = join(dir, 'cert.pem');
      writeFileSync(cert, pems.cert);
      const key = createPrivateKey(pems.private);
      for (const [name, type] of [['pkcs8.pem', 'pkcs8'], ['pkcs1.pem', 'pkcs1']] as const) {
        const file = join(dir, name);
        writeFileSync(file, key.export({ type, format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' }));
        const r = run(['--port', '0', '--tls-cert', cert, '--tls-key', file]);
        expect(await r.exit).toBe(1);
        const err = r.err.join('\n');
        expect(err).toContain(`ERROR: --tls-key: ${file} is an encrypted private key, which is not supported; decrypt it (asks for the passphrase) and pass the result: openssl pkey -in ${file} -out ${file.replace(/\.pem$/, '.decrypted.pem')}`);
        expect(err).not.toMatch(/interrupted or cancelled/);
        expect(r.out).toEqual([]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('says which flag names an unreadable TLS file', async () => {
    const r = run(['--port', '0', '--tls-cert', '/nonexistent/cert.pem', '--tls-key', '/nonexistent/key.pem']);
    expect(await r.exit).toBe(1);
    expect(r.err.join('\n')).toMatch(/ERROR: --tls-cert: cannot read \/nonexistent\/cert\.pem/);
  }, 30_000);

  it('names the flag and the file when the TLS files are swapped, invalid, or do not belong together (exit 1)', async () => {
    const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], { keySize: 2048 } as never);
    const other = await generate([{ name: 'commonName', value: '127.0.0.1' }], { keySize: 2048 } as never);
    const dir = mkdtempSync(join(tmpdir(), 'lifeline-cli-tls-bad-'));
    const file = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    const cert = file('cert.pem', pems.cert);
    const key = file('key.pem', pems.private);
    const junk = file('junk.pem', 'not a pem at all\n');
    const otherKey = file('other-key.pem', other.private);
    const cases: [string[], RegExp][] = [
      [['--tls-cert', key, '--tls-key', cert], new RegExp(`ERROR: --tls-cert: ${key} holds a private key, not a certificate \\(are --tls-cert and --tls-key swapped\\?\\)`)],
      [['--tls-cert', junk, '--tls-key', key], new RegExp(`ERROR: --tls-cert: ${junk} cannot be read as a PEM certificate`)],
      [['--tls-cert', cert, '--tls-key', cert], new RegExp(`ERROR: --tls-key: ${cert} holds a certificate, not a private key \\(are --tls-cert and --tls-key swapped\\?\\)`)],
      [['--tls-cert', cert, '--tls-key', junk], new RegExp(`ERROR: --tls-key: ${junk} cannot be read as a PEM private key`)],
      [['--tls-cert', cert, '--tls-key', otherKey], new RegExp(`ERROR: --tls-key: ${otherKey} is not the private key of the certificate in --tls-cert: ${cert}`)],
    ];
    try {
      for (const [args, message] of cases) {
        const r = run(['--port', '0', ...args]);
        expect(await r.exit).toBe(1);
        expect(r.err.join('\n')).toMatch(message);
        expect(r.out).toEqual([]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
