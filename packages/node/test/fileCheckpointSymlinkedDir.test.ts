// Two stores of ONE process on one file reached through a symlinked directory
// (/var/lib/app -> /data/app, a "current" release link) with DIFFERENT channels. The
// per-file queue was keyed by resolve(path), which does not follow symlinks, so the two
// were not queued together and each read-modify-write dropped the other's channel: a
// checkpoint went back, or disappeared (null = start at the head on restart: messages
// published meanwhile skipped without a gap).
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileCheckpoint } from '../src/checkpoint/fileCheckpoint';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'lifeline-ckpt-link-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('fileCheckpoint through a symlinked directory, two channels, one process', () => {
  it('queues both spellings together: every channel is kept', async () => {
    await mkdir(join(root, 'real'));
    await symlink(join(root, 'real'), join(root, 'alias'), 'dir');
    const a = fileCheckpoint(join(root, 'real', 'cp.json'), { fsync: false });
    const b = fileCheckpoint(join(root, 'alias', 'cp.json'), { fsync: false });
    for (let i = 1; i <= 20; i++) {
      await Promise.all([a.save('orders', { offset: i, epoch: 'e1' }), b.save('invoices', { offset: i, epoch: 'e1' })]);
    }
    const fresh = fileCheckpoint(join(root, 'real', 'cp.json'));
    expect({ orders: await fresh.load('orders'), invoices: await fresh.load('invoices') }).toEqual({
      orders: { offset: 20, epoch: 'e1' },
      invoices: { offset: 20, epoch: 'e1' },
    });
  });

  it('a directory created after the store: saves fail, then work once it exists (in order)', async () => {
    const dir = join(root, 'later');
    const store = fileCheckpoint(join(dir, 'cp.json'), { fsync: false });
    await expect(store.save('orders', { offset: 1, epoch: 'e1' })).rejects.toMatchObject({ code: 'CHECKPOINT_FAILED' });
    await mkdir(dir);
    const saves = [1, 2, 3].map((i) => store.save('orders', { offset: i, epoch: 'e1' }));
    await Promise.all(saves);
    expect(await fileCheckpoint(join(dir, 'cp.json')).load('orders')).toEqual({ offset: 3, epoch: 'e1' });
  });
});
