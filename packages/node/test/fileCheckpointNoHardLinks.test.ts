// A file system without hard links (FAT/exFAT, some SMB or FUSE mounts: link() fails with
// EPERM): lock files and claims are created with O_EXCL and written afterwards instead, and
// the lock works as elsewhere.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fileCheckpoint, isLifelineNodeError } from '../src/index';
import { ownIdentity } from '../src/checkpoint/lockHolder';

const links = vi.hoisted(() => ({ tried: 0 }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const link: typeof actual.link = async (from, to) => {
    links.tried += 1;
    throw Object.assign(new Error(`EPERM: operation not permitted, link '${String(from)}' -> '${String(to)}'`), { code: 'EPERM' });
  };
  return { ...actual, default: { ...actual, link }, link };
});

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'lifeline-nolinks-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

const recordOf = (pid: number, token: string) => {
  const { bootId, pidNamespace } = ownIdentity();
  const at = new Date().toISOString();
  return JSON.stringify({ pid, hostname: hostname(), startedAt: at, acquiredAt: at, ...(bootId ? { bootId } : {}), ...(pidNamespace ? { pidNamespace } : {}), token });
};

describe('fileCheckpoint lock without hard links', () => {
  it('takes, refuses, takes over and releases the lock with O_EXCL creates', async () => {
    const path = join(root, 'cp.json');
    const store = fileCheckpoint(path, { fsync: false });
    await store.save('orders', { offset: 1, epoch: 'e1' });
    expect(links.tried).toBeGreaterThan(0);
    expect(JSON.parse(await readFile(`${path}.lock`, 'utf8'))).toMatchObject({ pid: process.pid });
    await store.close!();
    expect(await readdir(root)).toEqual(['cp.json']);

    // A live holder (this host): refused.
    await writeFile(`${path}.lock`, recordOf(process.ppid, 'parent00parent00'));
    const refused = await fileCheckpoint(path, { fsync: false }).load('orders').catch((e: unknown) => e);
    expect(isLifelineNodeError(refused, 'CHECKPOINT_LOCKED')).toBe(true);

    // A dead holder: taken over through a claim, nothing left next to the file.
    const dead = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => dead.once('exit', resolve));
    await writeFile(`${path}.lock`, recordOf(dead.pid!, 'dead0000dead0000'));
    const next = fileCheckpoint(path, { fsync: false });
    expect(await next.load('orders')).toEqual({ offset: 1, epoch: 'e1' });
    expect(JSON.parse(await readFile(`${path}.lock`, 'utf8'))).toMatchObject({ pid: process.pid });
    expect((await readdir(root)).sort()).toEqual(['cp.json', 'cp.json.lock']);
    await next.close!();
    expect(await readdir(root)).toEqual(['cp.json']);
  });
});
