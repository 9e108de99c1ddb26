import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createServer, redisBroker, type LifelineServer, type RedisBroker } from '../src/index';
import { TestClient } from './helpers/wsClient';
import { REDIS_URL, redisSuite } from './redisTestUtils';

const { available, prefix, newPrefix } = await redisSuite();
const bracePrefix = newPrefix();
let server: LifelineServer | undefined;
let broker: RedisBroker | undefined;
let redis: Redis | undefined;
const clients: TestClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.close();
  await broker?.close();
  redis?.disconnect();
});

describe.skipIf(!available)('Redis broker under abuse', () => {
  it('subscribe/unsubscribe churn leaves no pub/sub subscription and no extra Redis connection behind', async () => {
    redis = new Redis(REDIS_URL);
    broker = redisBroker({ url: REDIS_URL, keyPrefix: prefix });
    server = await createServer({ broker });
    const c = await TestClient.connect(server.url);
    clients.push(c);
    await c.subscribe('warm'); // both broker connections are up from here on
    await c.request({ type: 'unsub', channel: 'warm' });
    const connections = (await redis.client('LIST') as string).split('\n').length;
    for (let i = 0; i < 50; i++) {
      expect((await c.subscribe(`churn:${i}`)).type).toBe('subscribed');
      await c.request({ type: 'presence.enter', channel: `churn:${i}`, info: { i } });
      await c.request({ type: 'presence.leave', channel: `churn:${i}` });
      await c.request({ type: 'unsub', channel: `churn:${i}` });
    }
    expect(await redis.pubsub('CHANNELS', `${prefix}*`)).toEqual([]);
    expect((await redis.client('LIST') as string).split('\n').length).toBe(connections);
  });

  it('refuses a channel name with a brace instead of writing keys into another channel\'s hash tag', async () => {
    broker = redisBroker({ url: REDIS_URL, keyPrefix: bracePrefix });
    await expect(broker.publish('a}:id:x', 1)).rejects.toThrow(TypeError);
    await expect(broker.read('{a', 0, 10)).rejects.toThrow(/cannot hold/);
    redis = new Redis(REDIS_URL);
    expect(await redis.keys(`${bracePrefix}*`)).toEqual([]);
  });
});
