import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// `save` must resolve only once the position is durable (CheckpointStore contract,
// README: "fsync the file and its directory on every save"). The directory fsync that makes
// the rename durable swallows every error — also EIO from fsync(2) itself, which says the
// rename may not be on disk — and the save resolves as if it were.
const failDirSync = { on: false, thrown: 0 };
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const open: typeof real.open = (async (...args: Parameters<typeof real.open>) => {
    const handle = await real.open(...args);
    if (failDirSync.on && args[1] === 'r') {
      const info = await handle.stat();
      if (info.isDirectory()) {
        handle.sync = async () => {
          failDirSync.thrown += 1;
          throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO', errno: -5, syscall: 'fsync' });
        };
      }
    }
    return handle;
  }) as typeof real.open;
  return { ...real, open, default: { ...real, open } };
});

const { fileCheckpoint } = await import('../src/index');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reviewK-dirsync-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('fileCheckpoint directory fsync failure', () => {
  it('a save whose directory fsync fails with EIO rejects with CHECKPOINT_FAILED (not resolved as durable)', async () => {
    const path = join(dir, 'cp.json');
    const store = fileCheckpoint(path);
    await store.load('orders');
    await store.save('orders', { offset: 1, epoch: 'e1' });
    failDirSync.on = true;
    try {
      const saved = store.save('orders', { offset: 2, epoch: 'e1' });
      const outcome = await saved.then(() => 'resolved', (e: { code?: string }) => e.code);
      // The injected EIO was thrown by the directory's fsync (the mock is in effect)…
      expect(failDirSync.thrown).toBe(1);
      // …and the save must not claim durability.
      expect(outcome).toBe('CHECKPOINT_FAILED');
    } finally {
      failDirSync.on = false;
    }
    // (The rename happened: the file shows 2, but it was never made durable.)
    expect(JSON.parse(await readFile(path, 'utf8')).channels.orders.offset).toBe(2);
  });
});
