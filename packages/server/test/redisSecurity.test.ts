import { describe, expect, it } from 'vitest';
import { useRedisServer } from './helpers/redisServer';

const { available, prefix, newPrefix, start, connect, openBroker, openRedis } = await useRedisServer();
const bracePrefix = newPrefix();

describe.skipIf(!available)('Redis broker under abuse', () => {
  it('subscribe/unsubscribe churn leaves no pub/sub subscription and no extra Redis connection behind', async () => {
    const redis = openRedis();
    // Named, so only this broker's connections are counted: other test files (and other
    // users of this Redis) open and close theirs meanwhile.
    const name = `sec-${prefix}`;
    const ours = async () => ((await redis.client('LIST')) as string).split('\n').filter((l) => l.includes(` name=${name}:`)).length;
    const broker = openBroker({ redisOptions: { connectionName: name } });
    await start({ broker });
    const c = await connect();
    await c.subscribe('warm'); // both broker connections are up from here on
    await c.request({ type: 'unsub', channel: 'warm' });
    expect(await ours()).toBe(2); // <name>:cmd and <name>:sub
    for (let i = 0; i < 50; i++) {
      expect((await c.subscribe(`churn:${i}`)).type).toBe('subscribed');
      await c.request({ type: 'presence.enter', channel: `churn:${i}`, info: { i } });
      await c.request({ type: 'presence.leave', channel: `churn:${i}` });
      await c.request({ type: 'unsub', channel: `churn:${i}` });
    }
    expect(await redis.pubsub('CHANNELS', `${prefix}*`)).toEqual([]);
    expect(await ours()).toBe(2);
  });

  it('refuses a channel name with a brace instead of writing keys into another channel\'s hash tag', async () => {
    const broker = openBroker({ keyPrefix: bracePrefix });
    await expect(broker.publish('a}:id:x', 1)).rejects.toThrow(TypeError);
    await expect(broker.read('{a', 0, 10)).rejects.toThrow(/cannot hold/);
    const redis = openRedis();
    expect(await redis.keys(`${bracePrefix}*`)).toEqual([]);
  });
});
