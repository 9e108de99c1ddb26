import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fileCheckpoint, isLifelineNodeError } from '../src/index';

// The lock file under file-system faults that say nothing of who holds it: a symbolic link
// to nowhere at the lock's path, and no file descriptor left (EMFILE) while a save checks
// that its lock is still this process's.

/** Opens of a path ending in `failOpensOf` in mode r+ fail with EMFILE while it is set. */
const faults = vi.hoisted(() => ({ failOpensOf: null as null | string, failed: 0 }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const open: typeof actual.open = async (...args) => {
    if (faults.failOpensOf && String(args[0]).endsWith(faults.failOpensOf) && args[1] === 'r+') {
      faults.failed += 1;
      throw Object.assign(new Error(`EMFILE: too many open files, open '${String(args[0])}'`), { code: 'EMFILE', errno: -24 });
    }
    return actual.open(...args);
  };
  return { ...actual, default: { ...actual, open }, open };
});

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'lifeline-lockfaults-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('fileCheckpoint lock under file-system faults', () => {
  it('a symbolic link to nowhere at the lock path fails the save with CHECKPOINT_FAILED naming it (it looped for ever)', async () => {
    const path = join(root, 'dangling.json');
    await symlink(join(root, 'no-such-dir', 'gone.lock'), `${path}.lock`);
    const store = fileCheckpoint(path, { fsync: false });
    const error = await store.save('orders', { offset: 1, epoch: 'e1' }).catch((e: unknown) => e);
    expect(isLifelineNodeError(error, 'CHECKPOINT_FAILED')).toBe(true);
    expect((error as Error).message).toContain(`${path}.lock is a symbolic link to a missing file`);
    await expect(readFile(path, 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
    await store.close!();
  });

  it('EMFILE while a save checks its lock fails that save only: the lock is kept, the next save writes', async () => {
    const path = join(root, 'emfile.json');
    const store = fileCheckpoint(path, { fsync: false });
    await store.save('orders', { offset: 1, epoch: 'e1' });
    const lockText = await readFile(`${path}.lock`, 'utf8');

    faults.failOpensOf = `${path}.lock`;
    const error = await store.save('orders', { offset: 2, epoch: 'e1' }).catch((e: unknown) => e);
    faults.failOpensOf = null;
    expect(faults.failed).toBeGreaterThan(0);
    expect(isLifelineNodeError(error, 'CHECKPOINT_FAILED')).toBe(true);
    expect((error as Error).message).toContain('cannot check its lock file');
    expect((error as Error).message).toContain('EMFILE');
    expect(await store.load('orders')).toEqual({ offset: 1, epoch: 'e1' });

    // Not taken for lost: the same lock, and saves go on.
    await store.save('orders', { offset: 3, epoch: 'e1' });
    expect(await store.load('orders')).toEqual({ offset: 3, epoch: 'e1' });
    expect(await readFile(`${path}.lock`, 'utf8')).toBe(lockText);
    await store.close!();
  });
});
