// Seven files that run servers on the Redis broker each repeated one preamble: redisSuite(),
// a broker variable (or list), an afterEach closing it registered *before* useServer() (so
// it runs after the fixture closed the server the broker was given to: vitest runs afterEach
// hooks in reverse order of registration), then useServer(). One copy keeps that order
// right everywhere.
import { Redis } from 'ioredis';
import { afterEach } from 'vitest';
import { redisBroker, type Broker, type LifelineServer, type RedisBroker, type RedisBrokerOptions } from '../../src/index';
import { REDIS_URL, redisSuite, type RedisSuite } from '../redisTestUtils';
import { useServer, type ServerFixture, type ServerFixtureOptions } from './serverFixture';

/** {@link useServer}'s fixture plus the file's {@link RedisSuite} and Redis resources closed after each test. Its methods are bound: destructure them freely. */
export interface RedisServerFixture extends ServerFixture, RedisSuite {
  /** A Redis broker on {@link REDIS_URL} and the file's `prefix` (`options` override both), closed after the test, after its server. */
  openBroker(options?: RedisBrokerOptions): RedisBroker;
  /** Closes `broker` after the test, after the server it was given to (closing it earlier in the test is fine). Returns it. */
  closeAfter<B extends Broker>(broker: B): B;
  /** A plain connection to {@link REDIS_URL} (to inspect keys), disconnected after the test, after the brokers are closed. */
  openRedis(): Redis;
}

/**
 * The preamble of a Redis test file that starts servers. Call once at module level:
 * `const { available, prefix, start, connect, openBroker } = await useRedisServer();`.
 * - {@link redisSuite}: without Redis the file's tests skip (`describe.skipIf(!available)`)
 *   with the reason printed, or the file fails under LIFELINE_REQUIRE_REDIS=1; its keys are
 *   deleted once the file is done;
 * - after each test: clients dropped and servers closed ({@link useServer}), then every
 *   broker of {@link RedisServerFixture.openBroker} / {@link RedisServerFixture.closeAfter}
 *   closed, then every {@link RedisServerFixture.openRedis} connection disconnected.
 */
export async function useRedisServer(options: ServerFixtureOptions = {}): Promise<RedisServerFixture> {
  const suite = await redisSuite();
  const brokers: Broker[] = [];
  const connections: Redis[] = [];
  // Registered before useServer(): runs after the fixture closed the servers these were given to.
  afterEach(async () => {
    await Promise.all(brokers.splice(0).map((b) => b.close()));
    for (const r of connections.splice(0)) r.disconnect();
  });
  const fixture = useServer(options);

  const closeAfter = <B extends Broker>(broker: B): B => {
    brokers.push(broker);
    return broker;
  };
  return {
    available: suite.available,
    prefix: suite.prefix,
    newPrefix: () => suite.newPrefix(),
    start: fixture.start,
    get server(): LifelineServer {
      return fixture.server;
    },
    connect: fixture.connect,
    open: fixture.open,
    clients: fixture.clients,
    track: fixture.track,
    openBroker: (brokerOptions = {}) => closeAfter(redisBroker({ url: REDIS_URL, keyPrefix: suite.prefix, ...brokerOptions })),
    closeAfter,
    openRedis() {
      const r = new Redis(REDIS_URL);
      connections.push(r);
      return r;
    },
  };
}
