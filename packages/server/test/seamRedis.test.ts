import { describe, it } from 'vitest';
import { seamUnderFlood } from './helpers/seam';
import { useRedisServer } from './helpers/redisServer';

const { available, start, clients, openBroker } = await useRedisServer();

describe.skipIf(!available)('replay seam on the Redis broker', () => {
  it('no gap and no duplicate at the seam while a publisher floods during the replay (Redis Streams)', async () => {
    const broker = openBroker({ retention: 5000 });
    const server = await start({ broker, publishPerSec: 1e6, publishBurst: 1e6 });
    await seamUnderFlood(server.url, clients);
  }, 40_000);
});
