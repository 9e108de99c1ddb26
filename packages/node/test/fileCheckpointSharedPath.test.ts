// Several fileCheckpoint stores on one file in one process (two clients, or a store
// created twice). They used to share temp-file names (pid + per-store counter: torn
// file / ENOENT) and each rewrote the whole file from its own stale cache (lost
// updates). Now saves to one resolved path are queued together and re-read the file,
// and temp files have random names.
import { mkdir, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileCheckpoint } from '../src/checkpoint/fileCheckpoint';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'lifeline-ckpt-shared-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const settle = (saves: Array<Promise<void>>) =>
  Promise.allSettled(saves).then((r) => r.flatMap((x) => (x.status === 'rejected' ? [String((x.reason as Error).cause ?? x.reason)] : [])));

describe('two fileCheckpoint stores on one path in one process', () => {
  it('concurrent saves of different channels all succeed and all channels are kept (also via another spelling of the path)', async () => {
    const dir = await mkdtemp(join(root, 'concurrent-'));
    const a = fileCheckpoint(join(dir, 'cp.json'), { fsync: false });
    const b = fileCheckpoint(join(dir, '.', 'sub', '..', 'cp.json'), { fsync: false });
    const long = `a-${'x'.repeat(200)}`; // different body sizes make a torn write visible
    const failures: string[] = [];
    for (let i = 1; i <= 30; i++) {
      failures.push(...(await settle([a.save(long, { offset: i, epoch: 'e1' }), b.save('b', { offset: i, epoch: 'e1' })])));
    }
    expect(failures).toEqual([]);
    const onDisk = JSON.parse(await readFile(join(dir, 'cp.json'), 'utf8')) as { channels: Record<string, unknown> };
    expect(onDisk.channels).toEqual({ [long]: { offset: 30, epoch: 'e1' }, b: { offset: 30, epoch: 'e1' } });
    // One lock for both stores: the process's stores share it.
    expect(await readdir(dir)).toEqual(['cp.json', 'cp.json.lock']);
  });

  it("a store created earlier does not overwrite the other store's later save with its stale view", async () => {
    const path = join(await mkdtemp(join(root, 'stale-')), 'cp.json');
    const a = fileCheckpoint(path, { fsync: false });
    const b = fileCheckpoint(path, { fsync: false });
    expect(await b.load('b')).toBeNull(); // b has read the file while it was empty
    await a.save('a', { offset: 41, epoch: 'e1' });
    await b.save('b', { offset: 7, epoch: 'e1' });
    await a.save('a', { offset: 42, epoch: 'e1' });
    const fresh = fileCheckpoint(path);
    expect(await fresh.load('a')).toEqual({ offset: 42, epoch: 'e1' });
    expect(await fresh.load('b')).toEqual({ offset: 7, epoch: 'e1' });
    expect(await b.load('a')).toEqual({ offset: 42, epoch: 'e1' });
  });

  it('stores reaching one file through a symlinked directory never share a temporary file', async () => {
    // Different resolved paths, so not queued together: only unique temp names keep
    // every save from failing (ENOENT) or renaming a half-written file into place.
    const dir = await mkdtemp(join(root, 'link-'));
    await mkdir(join(dir, 'real'));
    await symlink(join(dir, 'real'), join(dir, 'alias'), 'dir');
    const a = fileCheckpoint(join(dir, 'real', 'cp.json'), { fsync: false });
    const b = fileCheckpoint(join(dir, 'alias', 'cp.json'), { fsync: false });
    const failures: string[] = [];
    for (let i = 1; i <= 30; i++) {
      failures.push(
        ...(await settle([a.save('x', { offset: i, epoch: 'e'.repeat(300) }), b.save('x', { offset: i, epoch: 'e1' })])),
      );
      const text = await readFile(join(dir, 'real', 'cp.json'), 'utf8');
      // Never a torn file between rounds.
      expect(() => JSON.parse(text)).not.toThrow();
    }
    expect(failures).toEqual([]);
    const onDisk = JSON.parse(await readFile(join(dir, 'real', 'cp.json'), 'utf8')) as { channels: { x: { offset: number } } };
    expect(onDisk.channels.x.offset).toBe(30);
    expect(await readdir(join(dir, 'real'))).toEqual(['cp.json', 'cp.json.lock']);
  });
});
