// A checkpoint path that is a symlink to a file (a release directory linking to state on
// a data volume: /srv/app/current/cp.json -> /data/cp.json). A save renamed the new
// content over the link itself: the link became a regular file in the release directory,
// the data volume kept the old positions, and the next release (a new link) resumed
// from those — messages processed again. Saves now write through the link to its target.
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileCheckpoint } from '../src/checkpoint/fileCheckpoint';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'lifeline-ckpt-filelink-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function layout(name: string) {
  const base = join(root, name);
  const data = join(base, 'data');
  const release = join(base, 'release');
  await mkdir(data, { recursive: true });
  await mkdir(release, { recursive: true });
  return { data, release, target: join(data, 'cp.json'), link: join(release, 'cp.json') };
}

const content = (channels: Record<string, { offset: number; epoch: string }>) => ({ version: 1, channels });

describe('fileCheckpoint on a symlinked file', () => {
  it('a save replaces the target and keeps the link; a new store on the link reads it', async () => {
    const { data, release, target, link } = await layout('absolute');
    await writeFile(target, JSON.stringify(content({ orders: { offset: 1, epoch: 'e1' } })));
    await symlink(target, link);
    const store = fileCheckpoint(link, { fsync: false });
    expect(await store.load('orders')).toEqual({ offset: 1, epoch: 'e1' });
    await store.save('orders', { offset: 2, epoch: 'e1' });
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readlink(link)).toBe(target);
    expect(JSON.parse(await readFile(target, 'utf8'))).toEqual(content({ orders: { offset: 2, epoch: 'e1' } }));
    expect(await fileCheckpoint(link).load('orders')).toEqual({ offset: 2, epoch: 'e1' });
    // The temporary file was made (and renamed) next to the target: nothing left anywhere.
    // The lock too sits next to the target, so every spelling of the file finds the same lock.
    expect(await readdir(release)).toEqual(['cp.json']);
    expect(await readdir(data)).toEqual(['cp.json', 'cp.json.lock']);
  });

  it('a relative link, through a chain of two links', async () => {
    const { target, link, release } = await layout('relative');
    await writeFile(target, JSON.stringify(content({})));
    await symlink('../data/cp.json', join(release, 'hop.json'));
    await symlink('hop.json', link);
    await fileCheckpoint(link, { fsync: false }).save('orders', { offset: 7, epoch: 'e1' });
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect((await lstat(join(release, 'hop.json'))).isSymbolicLink()).toBe(true);
    expect(JSON.parse(await readFile(target, 'utf8'))).toEqual(content({ orders: { offset: 7, epoch: 'e1' } }));
  });

  it('a link whose target does not exist yet: the first save creates the target, the link stays', async () => {
    const { target, link } = await layout('dangling');
    await symlink(target, link);
    const store = fileCheckpoint(link, { fsync: false });
    expect(await store.load('orders')).toBeNull();
    await store.save('orders', { offset: 3, epoch: 'e1' });
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(JSON.parse(await readFile(target, 'utf8'))).toEqual(content({ orders: { offset: 3, epoch: 'e1' } }));
  });

  it('a store on the link and one on the target share one queue: concurrent saves keep both channels', async () => {
    const { target, link } = await layout('shared');
    await symlink(target, link);
    const viaLink = fileCheckpoint(link, { fsync: false });
    const direct = fileCheckpoint(target, { fsync: false });
    for (let i = 1; i <= 20; i++) {
      await Promise.all([viaLink.save('orders', { offset: i, epoch: 'e1' }), direct.save('invoices', { offset: i, epoch: 'e1' })]);
    }
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(JSON.parse(await readFile(target, 'utf8'))).toEqual(
      content({ orders: { offset: 20, epoch: 'e1' }, invoices: { offset: 20, epoch: 'e1' } }),
    );
  });
});
