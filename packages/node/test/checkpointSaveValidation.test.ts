import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileCheckpoint } from '../src/checkpoint/fileCheckpoint';
import { memoryCheckpoint } from '../src/checkpoint/memoryCheckpoint';
import { redisCheckpoint, type RedisHashClient } from '../src/checkpoint/redisCheckpoint';
import type { CheckpointStore } from '../src/checkpoint/types';
import { isLifelineNodeError } from '../src/errors';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function tempDir() {
  const d = await mkdtemp(join(tmpdir(), 'lifeline-ckpt-save-'));
  dirs.push(d);
  return d;
}

/** An in-memory Redis hash with ioredis's two methods, counting writes. */
function fakeRedis() {
  const hashes = new Map<string, Map<string, string>>();
  const writes: Array<[string, string, string]> = [];
  const client: RedisHashClient = {
    async hget(key, field) {
      return hashes.get(key)?.get(field) ?? null;
    },
    async hset(key, field, value) {
      writes.push([key, field, value]);
      if (!hashes.has(key)) hashes.set(key, new Map());
      hashes.get(key)!.set(field, value);
      return 1;
    },
  };
  return { client, writes };
}

/** Positions `load` refuses as corrupt: `save` must refuse them before writing. */
const BAD_POSITIONS: unknown[] = [
  { offset: '7', epoch: 'e_1' },
  { offset: -1, epoch: 'e_1' },
  { offset: 1.5, epoch: 'e_1' },
  { offset: Number.NaN, epoch: 'e_1' },
  { offset: 2 ** 53, epoch: 'e_1' },
  { offset: 3, epoch: 7 },
  { offset: 3 },
  null,
  undefined,
  '{"offset":3,"epoch":"e"}',
];

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => 'resolved',
    (e: unknown) => e,
  );
}

describe('checkpoint stores refuse in save() what load() would refuse', () => {
  it('fileCheckpoint: BAD_OPTION, nothing written, the file and every other channel in it stay readable and writable', async () => {
    const path = join(await tempDir(), 'w.json');
    const store = fileCheckpoint(path);
    await store.save('orders', { offset: 41, epoch: 'e_1' });
    const before = await readFile(path, 'utf8');
    for (const position of BAD_POSITIONS) {
      const error = await rejection(store.save('refunds', position as never));
      expect(isLifelineNodeError(error, 'BAD_OPTION'), `save(${JSON.stringify(position)}) → ${String(error)}`).toBe(true);
      expect((error as Error).message).toContain('refunds');
      expect(await readFile(path, 'utf8')).toBe(before);
    }
    // The file was left corrupt by the first bad save: every channel refused for good.
    expect(await store.load('orders')).toEqual({ offset: 41, epoch: 'e_1' });
    expect(await store.load('refunds')).toBeNull();
    await store.save('orders', { offset: 42, epoch: 'e_1' });
    expect(await fileCheckpoint(path).load('orders')).toEqual({ offset: 42, epoch: 'e_1' });
  });

  it('redisCheckpoint: BAD_OPTION, nothing written to Redis', async () => {
    const { client, writes } = fakeRedis();
    const store = redisCheckpoint(client, 'worker-a');
    for (const position of BAD_POSITIONS) {
      const error = await rejection(store.save('refunds', position as never));
      expect(isLifelineNodeError(error, 'BAD_OPTION'), `save(${JSON.stringify(position)}) → ${String(error)}`).toBe(true);
    }
    expect(writes).toEqual([]);
    await store.save('refunds', { offset: 7, epoch: 'e_1' });
    expect(await store.load('refunds')).toEqual({ offset: 7, epoch: 'e_1' });
  });

  it('memoryCheckpoint (the stand-in for them in tests): BAD_OPTION, nothing kept', async () => {
    const store = memoryCheckpoint();
    for (const position of BAD_POSITIONS) {
      const error = await rejection(store.save('refunds', position as never));
      expect(isLifelineNodeError(error, 'BAD_OPTION'), `save(${JSON.stringify(position)}) → ${String(error)}`).toBe(true);
    }
    expect(store.saved.size).toBe(0);
  });

  it('every store: a channel that is not a string is BAD_OPTION for load and save', async () => {
    const stores: Array<[string, CheckpointStore]> = [
      ['file', fileCheckpoint(join(await tempDir(), 'c.json'))],
      ['redis', redisCheckpoint(fakeRedis().client, 'k')],
      ['memory', memoryCheckpoint()],
    ];
    for (const [name, store] of stores) {
      for (const channel of [undefined, 5, null]) {
        expect(isLifelineNodeError(await rejection(store.load(channel as never)), 'BAD_OPTION'), `${name} load(${channel})`).toBe(true);
        const saved = store.save(channel as never, { offset: 1, epoch: 'e' });
        expect(isLifelineNodeError(await rejection(saved), 'BAD_OPTION'), `${name} save(${channel})`).toBe(true);
      }
    }
  });
});

describe('store arguments', () => {
  it('redisCheckpoint(redis, key): a missing or empty key, or a client without hget/hset, is BAD_OPTION at creation', () => {
    const { client, writes } = fakeRedis();
    for (const key of [undefined, '', null, 5]) {
      expect(() => redisCheckpoint(client, key as never), `key ${String(key)}`).toThrow(
        expect.objectContaining({ name: 'LifelineNodeError', code: 'BAD_OPTION' }),
      );
    }
    for (const redis of [undefined, null, {}, { hget: () => null }]) {
      expect(() => redisCheckpoint(redis as never, 'k')).toThrow(expect.objectContaining({ code: 'BAD_OPTION' }));
    }
    expect(writes).toEqual([]);
  });

  it("fileCheckpoint(path): undefined, '' or a number is BAD_OPTION at creation (a raw TypeError, or the working directory)", () => {
    for (const path of [undefined, '', null, 5]) {
      expect(() => fileCheckpoint(path as never), `path ${String(path)}`).toThrow(
        expect.objectContaining({ name: 'LifelineNodeError', code: 'BAD_OPTION' }),
      );
    }
  });
});
