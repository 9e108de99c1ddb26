// Redis refusing the broker's configuration: a password it does not accept (WRONGPASS), none
// where it wants one (NOAUTH), a database index it does not have (SELECT). ioredis retried
// the credentials for ever (the operator read a WARNING that looked like a network outage,
// repeated per connection), and after a failed SELECT carried on in database 0: an
// "outage" of 17 ms, /healthz 200, every publish stored in the wrong database.
// Each case runs its own redis-server (--requirepass, --databases 2) on a free loopback
// port, stopped after: the shared Redis on 6379 is not reconfigured.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { redisBroker, RedisConfigError, type RedisBroker } from '../src/broker/redisBroker';
import { isBrokerUnavailable } from '../src/broker/redisErrors';
import type { BrokerStatusChange } from '../src/broker/types';
import { waitFor } from './redisTestUtils';

const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;
if (!hasRedisServer) {
  if (process.env.LIFELINE_REQUIRE_REDIS === '1') throw new Error('LIFELINE_REQUIRE_REDIS=1 but redis-server is not installed');
  console.warn('[redis tests] SKIPPED: redisConfig needs the redis-server binary to run its own Redis');
}

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const freePort = () => new Promise<number>((resolve, reject) => {
  const s = net.createServer();
  s.once('error', reject);
  s.listen(0, '127.0.0.1', () => {
    const { port } = s.address() as net.AddressInfo;
    s.close(() => resolve(port));
  });
});

interface OwnRedis { port: number; password: string; admin: Redis }

/** A redis-server of this test alone: loopback, no persistence, with a password, two databases. */
async function ownRedis(): Promise<OwnRedis> {
  const port = await freePort();
  const password = randomBytes(8).toString('hex');
  const proc: ChildProcess = spawn('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--requirepass', password, '--databases', '2',
  ], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  cleanups.push(async () => {
    proc.kill('SIGTERM');
    await exited;
  });
  const accepts = () => new Promise<boolean>((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
    s.on('error', () => resolve(false));
  });
  await waitFor(accepts, 'our redis-server to accept connections', 5000);
  const admin = new Redis({ port, host: '127.0.0.1', password });
  cleanups.push(() => admin.disconnect());
  return { port, password, admin };
}

function brokerAt(url: string): { broker: RedisBroker; errors: Error[]; changes: BrokerStatusChange[] } {
  const errors: Error[] = [];
  const changes: BrokerStatusChange[] = [];
  const broker = redisBroker({ url, reconnectDelayMs: () => 50, onError: (e) => errors.push(e) });
  broker.onStatus((c) => changes.push(c));
  cleanups.push(() => broker.close());
  return { broker, errors, changes };
}

/** Connections our Redis has accepted (each reconnect attempt is one). */
const connectionsReceived = async (admin: Redis) => Number(/total_connections_received:(\d+)/.exec(await admin.info('stats'))![1]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!hasRedisServer)('the Redis broker: a configuration Redis refuses', () => {
  it('a wrong password: one RedisConfigError naming the URL (password redacted) over many retries, calls refused at once, and it recovers once Redis accepts it', async () => {
    const { port, admin } = await ownRedis();
    const wrong = 'not-the-password';
    const url = `redis://:${wrong}@127.0.0.1:${port}/0`;
    const before = await connectionsReceived(admin);
    const { broker, errors, changes } = brokerAt(url);
    await waitFor(async () => (await connectionsReceived(admin)) - before >= 8, 'several reconnect attempts');

    const expected = `redis broker: Redis refused the credentials in the broker URL (redis://:***@127.0.0.1:${port}/0); check user/password: WRONGPASS`;
    // Once for the broker, not per connection (two) nor per attempt.
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(RedisConfigError);
    expect(isBrokerUnavailable(errors[0])).toBe(false); // the server's CLI logs it as an ERROR line
    expect(errors[0]!.message.startsWith(expected)).toBe(true);
    expect(errors[0]!.message).not.toContain(wrong);
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ available: false });
    expect((changes[0] as { reason: string }).reason.startsWith(expected)).toBe(true);

    expect(await broker.healthy()).toBe(false);
    const t0 = Date.now();
    const refused = await broker.publish('c', 1, 'p1').then(() => undefined, (e: unknown) => e as Error);
    expect(Date.now() - t0).toBeLessThan(500); // not the 1 s readyTimeoutMs: waiting will not fix it
    expect(isBrokerUnavailable(refused)).toBe(true);
    expect(refused!.message.startsWith(expected)).toBe(true);

    // The operator fixes Redis's side: the next attempt is accepted and the outage ends.
    await admin.config('SET', 'requirepass', wrong);
    await waitFor(() => changes.length === 2, 'the broker to recover');
    expect(changes[1]).toMatchObject({ available: true });
    expect(await broker.publish('c', 1, 'p1')).toMatchObject({ offset: 1 });
    expect(errors).toHaveLength(1);
  });

  it('no password where Redis wants one (NOAUTH): said as credentials missing from the URL, once', async () => {
    const { port, admin } = await ownRedis();
    const before = await connectionsReceived(admin);
    const { broker, errors, changes } = brokerAt(`redis://127.0.0.1:${port}`);
    await waitFor(async () => (await connectionsReceived(admin)) - before >= 8, 'several reconnect attempts');
    expect(errors.map((e) => [e.name, e.message])).toEqual([[
      'RedisConfigError',
      `redis broker: Redis requires credentials the broker URL does not give (redis://127.0.0.1:${port}); check user/password: NOAUTH Authentication required.`,
    ]]);
    expect(changes).toEqual([{ available: false, reason: errors[0]!.message }]);
    expect(await broker.healthy()).toBe(false);
  });

  it('a database index Redis refuses: an error naming it, the broker stays unavailable and stores nothing in database 0', async () => {
    const { port, password, admin } = await ownRedis(); // --databases 2: 0 and 1
    const url = `redis://:${password}@127.0.0.1:${port}/2`;
    const { broker, errors, changes } = brokerAt(url);
    await waitFor(() => errors.length > 0, 'the refused SELECT to be reported');
    const expected = `redis broker: Redis refused database 2 (SELECT 2) of the broker URL redis://:***@127.0.0.1:${port}/2: ERR DB index is out of range`;
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(RedisConfigError);
    expect(errors[0]!.message.startsWith(expected)).toBe(true);
    expect(errors[0]!.message).not.toContain(password);

    // ioredis makes that connection ready (in database 0) right after: it must not end the outage.
    await waitFor(async () => {
      const list = (await admin.client('LIST')) as string;
      return (list.match(/name=lifeline-broker:(cmd|sub) /g) ?? []).length === 2;
    }, 'both connections to be up');
    await sleep(200);
    expect(changes).toEqual([{ available: false, reason: errors[0]!.message }]);
    expect(await broker.healthy()).toBe(false);
    for (const call of [() => broker.publish('c', 1, 'p1'), () => broker.read('c', 0, 10), () => broker.onMessage('c', () => undefined)]) {
      const err = await call().then(() => undefined, (e: unknown) => e as Error);
      expect(isBrokerUnavailable(err)).toBe(true);
      expect(err!.message.startsWith(expected)).toBe(true);
    }
    expect(await admin.dbsize()).toBe(0); // database 0: nothing written there
    expect(errors).toHaveLength(1);
  });
});
