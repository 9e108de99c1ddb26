// Shared by the tests of Redis losing acknowledged writes (redisRollback, redisFailback):
// server nodes on one Redis under a prefix of the calling file's own, a raw connection, and
// DUMP/RESTORE of one channel's keys to bring the channel back as it was at an earlier
// moment (never FLUSHALL, never a restart of the shared Redis).
import { afterEach } from 'vitest';
import { Redis } from 'ioredis';
import { createServer, type LifelineServer } from '../../src/createServer';
import { redisBroker, type RedisBroker } from '../../src/broker/redisBroker';
import type { RedisBrokerOptions } from '../../src/broker/redisOptions';
import { channelKeys } from '../../src/broker/redisKeys';
import { TestClient } from './wsClient';
import { REDIS_URL, type RedisSuite } from '../redisTestUtils';

export interface Node { server: LifelineServer; broker: RedisBroker; errors: Error[] }

/** A channel's log keys (epoch, seq, stream) as DUMPed; `null` for a key that did not exist. */
export type ChannelSnapshot = readonly (readonly [key: string, dump: Buffer | null])[];

/** The "Redis lost acknowledged writes" reports among a node's `onError` calls. */
export const lostWrites = (errors: Error[]): Error[] => errors.filter((e) => /lost acknowledged writes/.test(e.message));

/**
 * Registers the file's cleanup hook (call once, at module level) and returns helpers bound
 * to the file's key prefix (`redis.prefix`, whose keys redisSuite deletes after the file).
 * Everything they start is closed after each test.
 */
export function lostWritesHarness(redis: RedisSuite) {
  const { prefix } = redis;
  const cleanups: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  let n = 0;
  const keysOf = (ch: string): string[] => {
    const k = channelKeys(prefix, ch);
    return [k.epoch, k.seq, k.log];
  };
  const raw = async (): Promise<Redis> => {
    const r = new Redis(REDIS_URL);
    cleanups.push(() => r.disconnect());
    return r;
  };

  return {
    prefix,
    cleanups,
    keysOf,
    raw,
    /** A channel name unique within the file. */
    chan: (name: string): string => `${name}.${++n}`,
    async startNode(brokerOptions: RedisBrokerOptions = {}): Promise<Node> {
      const errors: Error[] = [];
      const broker = redisBroker({ url: REDIS_URL, keyPrefix: prefix, onError: (e) => errors.push(e), ...brokerOptions });
      const server = await createServer({ port: 0, broker, publishPerSec: 10_000, publishBurst: 10_000 });
      cleanups.push(async () => {
        await server.close();
        await broker.close();
      });
      return { server, broker, errors };
    },
    async connect(node: Node, clientId: string): Promise<TestClient> {
      const c = await TestClient.connect(node.server.url, { clientId });
      cleanups.push(() => c.close());
      return c;
    },
    async snapshot(ch: string): Promise<ChannelSnapshot> {
      const r = await raw();
      return Promise.all(keysOf(ch).map(async (k) => [k, await r.dumpBuffer(k)] as const));
    },
    /** Puts the channel's log keys back exactly as in `snapshot` (what a restore or a failover would bring back). */
    async restore(ch: string, snapshot: ChannelSnapshot): Promise<void> {
      const r = await raw();
      await r.del(...keysOf(ch));
      for (const [k, v] of snapshot) if (v) await r.restore(k, 0, v, 'REPLACE');
    },
  };
}
