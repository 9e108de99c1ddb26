import { afterEach, describe, it } from 'vitest';
import { createServer, redisBroker, type LifelineServer, type RedisBroker } from '../src/index';
import { seamUnderFlood } from './helpers/seam';
import type { TestClient } from './helpers/wsClient';
import { REDIS_URL, redisSuite } from './redisTestUtils';

const { available, prefix } = await redisSuite();
let server: LifelineServer | undefined;
let broker: RedisBroker | undefined;
const clients: TestClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.close();
  await broker?.close();
});

describe.skipIf(!available)('replay seam on the Redis broker', () => {
  it('no gap and no duplicate at the seam while a publisher floods during the replay (Redis Streams)', async () => {
    broker = redisBroker({ url: REDIS_URL, keyPrefix: prefix, retention: 5000 });
    server = await createServer({ broker, publishPerSec: 1e6, publishBurst: 1e6 });
    await seamUnderFlood(server.url, clients);
  }, 40_000);
});
