import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import Redis from 'ioredis';
import { fileCheckpoint } from '../src/checkpoint/fileCheckpoint';
import { redisCheckpoint } from '../src/checkpoint/redisCheckpoint';
import { isLifelineNodeError } from '../src/errors';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function tempDir() {
  const d = await mkdtemp(join(tmpdir(), 'lifeline-ckpt-'));
  dirs.push(d);
  return d;
}

describe('fileCheckpoint', () => {
  it('returns null before any save, then the saved positions per channel, also from a fresh instance', async () => {
    const path = join(await tempDir(), 'worker.json');
    const a = fileCheckpoint(path);
    expect(await a.load('orders')).toBeNull();
    await a.save('orders', { offset: 5, epoch: 'e1' });
    await a.save('billing', { offset: 2, epoch: 'e9' });
    const b = fileCheckpoint(path);
    expect(await b.load('orders')).toEqual({ offset: 5, epoch: 'e1' });
    expect(await b.load('billing')).toEqual({ offset: 2, epoch: 'e9' });
  });

  it('serializes concurrent saves (last requested wins) and leaves no temporary files', async () => {
    const dir = await tempDir();
    const path = join(dir, 'w.json');
    const store = fileCheckpoint(path);
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.save('orders', { offset: i + 1, epoch: 'e' })));
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ version: 1, channels: { orders: { offset: 20, epoch: 'e' } } });
    // The lock file stays while the store is open (it has no close() here).
    expect(await readdir(dir)).toEqual(['w.json', 'w.json.lock']);
  });

  it('replaces the file atomically: a reader never sees a torn file while saves run', async () => {
    const path = join(await tempDir(), 'w.json');
    const store = fileCheckpoint(path, { fsync: false });
    await store.save('orders', { offset: 0, epoch: 'e' });
    let reads = 0;
    let writing = true;
    const saves = (async () => {
      for (let i = 1; i <= 200; i++) await store.save('orders', { offset: i, epoch: 'e'.repeat(200) });
      writing = false;
    })();
    while (writing) {
      const text = await readFile(path, 'utf8');
      expect(() => JSON.parse(text)).not.toThrow();
      reads += 1;
    }
    await saves;
    expect(reads).toBeGreaterThan(0);
  });

  it('reports a corrupt file as CHECKPOINT_CORRUPT and an unwritable path as CHECKPOINT_FAILED', async () => {
    const dir = await tempDir();
    const path = join(dir, 'bad.json');
    await writeFile(path, '{"version":1,"channels":{"orders":{"offset":"x"}}}');
    const error = await fileCheckpoint(path).load('orders').then(() => null, (e: unknown) => e);
    expect(isLifelineNodeError(error, 'CHECKPOINT_CORRUPT')).toBe(true);
    const missingDir = fileCheckpoint(join(dir, 'no', 'such', 'dir.json'));
    const writeError = await missingDir.save('orders', { offset: 1, epoch: 'e' }).then(() => null, (e: unknown) => e);
    expect(isLifelineNodeError(writeError, 'CHECKPOINT_FAILED')).toBe(true);
  });
});

async function redisOrSkipReason(): Promise<Redis | string> {
  const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.ping();
    return redis;
  } catch (error) {
    redis.disconnect();
    return `Redis at 127.0.0.1:6379 does not answer (${(error as Error).message})`;
  }
}

describe('redisCheckpoint (real Redis)', async () => {
  const redis = await redisOrSkipReason();
  const prefix = `lifeline:test:node:${randomUUID()}`;
  if (typeof redis === 'string') {
    if (process.env.LIFELINE_REQUIRE_REDIS === '1') {
      it('needs Redis (LIFELINE_REQUIRE_REDIS=1)', () => {
        throw new Error(redis);
      });
    } else {
      it(`redisCheckpoint (skipped: ${redis})`, (ctx) => {
        console.warn(`[node] skipping redisCheckpoint tests: ${redis}`);
        ctx.skip();
      });
    }
    return;
  }
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('stores positions per channel in a hash and reads them back from a new store', async () => {
    const key = `${prefix}:worker-a`;
    const store = redisCheckpoint(redis, key);
    expect(await store.load('orders')).toBeNull();
    await store.save('orders', { offset: 41, epoch: 'e_1' });
    await Promise.all([2, 3, 4].map((o) => store.save('billing', { offset: o, epoch: 'e_2' })));
    const again = redisCheckpoint(redis, key);
    expect(await again.load('orders')).toEqual({ offset: 41, epoch: 'e_1' });
    expect(await again.load('billing')).toEqual({ offset: 4, epoch: 'e_2' });
    expect(await redis.hgetall(key)).toEqual({
      orders: JSON.stringify({ offset: 41, epoch: 'e_1' }),
      billing: JSON.stringify({ offset: 4, epoch: 'e_2' }),
    });
  });

  it('reports garbage in the hash as CHECKPOINT_CORRUPT', async () => {
    const key = `${prefix}:worker-b`;
    await redis.hset(key, 'orders', 'not json');
    const error = await redisCheckpoint(redis, key).load('orders').then(() => null, (e: unknown) => e);
    expect(isLifelineNodeError(error, 'CHECKPOINT_CORRUPT')).toBe(true);
  });

  it('reports a failing client as CHECKPOINT_FAILED', async () => {
    const broken = { hget: async () => Promise.reject(new Error('down')), hset: async () => Promise.reject(new Error('down')) };
    const store = redisCheckpoint(broken, `${prefix}:x`);
    expect(isLifelineNodeError(await store.load('o').catch((e: unknown) => e), 'CHECKPOINT_FAILED')).toBe(true);
    expect(isLifelineNodeError(await store.save('o', { offset: 1, epoch: 'e' }).catch((e: unknown) => e), 'CHECKPOINT_FAILED')).toBe(true);
  });
});
