import { afterEach, describe, it } from 'vitest';
import { redisBroker, type RedisBroker } from '../src/index';
import { seamUnderFlood } from './helpers/seam';
import { useServer } from './helpers/serverFixture';
import { REDIS_URL, redisSuite } from './redisTestUtils';

const { available, prefix } = await redisSuite();
let broker: RedisBroker | undefined;

// Registered before useServer(), so it runs after the fixture closed the clients and the
// server: the broker was passed in, the server does not close it.
afterEach(async () => {
  await broker?.close();
});
const { start, clients } = useServer();

describe.skipIf(!available)('replay seam on the Redis broker', () => {
  it('no gap and no duplicate at the seam while a publisher floods during the replay (Redis Streams)', async () => {
    broker = redisBroker({ url: REDIS_URL, keyPrefix: prefix, retention: 5000 });
    const server = await start({ broker, publishPerSec: 1e6, publishBurst: 1e6 });
    await seamUnderFlood(server.url, clients);
  }, 40_000);
});
