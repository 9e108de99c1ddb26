// A file store that is never closed kept its lock file (every other process refused with
// CHECKPOINT_LOCKED) and the file's remembered text until the process exited, even once
// nothing could reach it any more (a store per job, its close() forgotten). Now a store
// collected by the garbage collector releases both, as close() would.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeClient, fileCheckpoint, isLifelineNodeError, type NodeClient } from '../src/index';
import { processWide } from '../src/checkpoint/processWide';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'lifeline-collected-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** Collects until `done()` (finalizers run in a later task, and the release does I/O). */
async function collectUntil(done: () => boolean): Promise<boolean> {
  for (let i = 0; i < 200 && !done(); i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return done();
}

/** Opens a store, saves through it and drops it: nothing of the test refers to it afterwards. */
async function useAndDrop(path: string): Promise<void> {
  const store = fileCheckpoint(path, { fsync: false });
  await store.save('orders', { offset: 7, epoch: 'e1' });
}

describe('fileCheckpoint never closed', () => {
  it('a store collected without close() releases its lock file and the remembered file text', async () => {
    const seen = processWide<string | null>('seen');
    const tokens = processWide<true>('lockTokens');
    const path = join(root, 'dropped.json');
    await useAndDrop(path);
    expect(existsSync(`${path}.lock`)).toBe(true);
    // This store's own token (the map is process-wide: another file's stores may come and go).
    const { token } = JSON.parse(await readFile(`${path}.lock`, 'utf8')) as { token: string };
    expect(tokens.has(token)).toBe(true);
    expect([...seen.keys()].some((key) => key.endsWith('dropped.json'))).toBe(true);
    expect(await collectUntil(() => !existsSync(`${path}.lock`))).toBe(true);
    expect(await collectUntil(() => ![...seen.keys()].some((key) => key.endsWith('dropped.json')))).toBe(true);
    // Forgotten once the unlink's callback ran, which can be a task after the file is gone.
    expect(await collectUntil(() => !tokens.has(token))).toBe(true);
    // The next store reads the checkpoint as saved.
    const next = fileCheckpoint(path, { fsync: false });
    expect(await next.load('orders')).toEqual({ offset: 7, epoch: 'e1' });
    await next.close!();
  });

  it('a store still reachable keeps its lock however often the collector runs', async () => {
    const path = join(root, 'kept.json');
    const store = fileCheckpoint(path, { fsync: false });
    await store.save('orders', { offset: 1, epoch: 'e1' });
    for (let i = 0; i < 20; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(existsSync(`${path}.lock`)).toBe(true);
    await store.save('orders', { offset: 2, epoch: 'e1' });
    await store.close!();
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it('a store collected while its load waits for the lock: the wait goes on and the load resolves (not refused as closed)', async () => {
    const path = join(root, 'waiting.json');
    const now = new Date().toISOString();
    // A live holder on another host, its lease fresh.
    await writeFile(`${path}.lock`, JSON.stringify({ pid: 4242, hostname: 'worker-9', startedAt: now, acquiredAt: now, token: 'theirs' }));
    // Only the load's promise is kept, not the store.
    const loaded = fileCheckpoint(path, { fsync: false, lock: { waitMs: 60_000, pollMs: 10 } })
      .load('orders')
      .then(
        (position) => ({ position }),
        (error: unknown) => ({ error }),
      );
    for (let i = 0; i < 20; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await rm(`${path}.lock`);
    const outcome = await loaded;
    expect('error' in outcome && isLifelineNodeError(outcome.error) ? outcome.error.code : null).toBeNull();
    expect(outcome).toEqual({ position: null });
    // Collected: its lock taken by that load goes too.
    expect(await collectUntil(() => !existsSync(`${path}.lock`))).toBe(true);
  });

  it('a store only a live client refers to keeps its lock (the client is its user); the client\'s close() releases it', async () => {
    const path = join(root, 'client.json');
    // The store is made inline: only the client holds it.
    const open = async (): Promise<NodeClient> => {
      const client = createNodeClient({ url: 'ws://127.0.0.1:9/v1', autoConnect: false, checkpoint: fileCheckpoint(path, { fsync: false }) });
      await client.channel('orders').ready();
      return client;
    };
    const client = await open();
    expect(existsSync(`${path}.lock`)).toBe(true);
    for (let i = 0; i < 20; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(existsSync(`${path}.lock`)).toBe(true);
    await client.close();
    expect(existsSync(`${path}.lock`)).toBe(false);
  });
});
