// A file store's conflict detection remembers, per file, the text this process last read or
// wrote there. It was kept for the life of the process: a service opening a store per job or
// tenant (a path each) grew the map by one file's text per path it ever used. It now lives
// while a store of the process has the file open (first load or save until close() or the
// end of its last client) — the time this process holds the file's lock.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileCheckpoint, isLifelineNodeError } from '../src/index';
import { processWide } from '../src/checkpoint/processWide';
import { CHECKPOINT_USE, type StoreWithUse } from '../src/checkpoint/storeUse';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'lifeline-ckpt-seen-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

const seen = () => processWide<string | null>('seen');
const seenUsers = () => processWide<number>('seenUsers');
const rejection = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e);
const other = (channels: Record<string, { offset: number; epoch: string }>) => JSON.stringify({ version: 1, channels });

describe('fileCheckpoint: what conflict detection remembers per file', () => {
  it('300 stores on distinct paths, each loaded, saved and closed, leave nothing behind', async () => {
    const dir = await mkdtemp(join(root, 'many-'));
    const before = seen().size;
    // Against what was there (process-wide maps: another file in this worker may hold a store).
    const users = seenUsers().size;
    for (let i = 0; i < 300; i++) {
      const store = fileCheckpoint(join(dir, `job-${i}.json`), { fsync: false });
      await store.load('orders');
      await store.save('orders', { offset: i + 1, epoch: 'e1' });
      await store.close!();
    }
    expect(seen().size).toBe(before);
    expect(seenUsers().size).toBe(users);
  });

  it('without the lock too (lock: false), and when the last client ends instead of close()', async () => {
    const dir = await mkdtemp(join(root, 'clients-'));
    const before = seen().size;
    for (let i = 0; i < 50; i++) {
      const store = fileCheckpoint(join(dir, `job-${i}.json`), { fsync: false, lock: i % 2 === 0 }) as StoreWithUse;
      const end = store[CHECKPOINT_USE]();
      await store.save('orders', { offset: 1, epoch: 'e1' });
      await end();
    }
    expect(seen().size).toBe(before);
  });

  it('kept while any store of the process has the file open: a conflict is still refused by every store until the last one closes', async () => {
    const path = join(await mkdtemp(join(root, 'shared-')), 'cp.json');
    const before = seen().size;
    const one = fileCheckpoint(path, { fsync: false });
    const two = fileCheckpoint(path, { fsync: false });
    await one.save('a', { offset: 1, epoch: 'e' });
    await two.load('b');
    expect(seen().size).toBe(before + 1);

    const theirs = other({ b: { offset: 7, epoch: 'e' } }); // another process's write
    await writeFile(path, theirs);
    await one.close!();
    expect(seen().size).toBe(before + 1); // `two` still has it open
    const error = await rejection(two.save('b', { offset: 2, epoch: 'e' }));
    expect(isLifelineNodeError(error, 'CHECKPOINT_CONFLICT'), String(error)).toBe(true);
    // A third store opened meanwhile shares the view, and refuses too.
    const three = fileCheckpoint(path, { fsync: false });
    expect(isLifelineNodeError(await rejection(three.save('c', { offset: 1, epoch: 'e' })), 'CHECKPOINT_CONFLICT')).toBe(true);
    expect(await readFile(path, 'utf8')).toBe(theirs);

    await two.close!();
    expect(seen().size).toBe(before + 1); // `three` still has it open
    await three.close!();
    expect(seen().size).toBe(before);
  });

  it('a store reopened after every store closed reads the file afresh: a handover written meanwhile is not a conflict', async () => {
    // With no store open this process held no lock: another process could take the file and
    // write it legitimately. The text kept from before made the next store refuse it.
    const path = join(await mkdtemp(join(root, 'handover-')), 'cp.json');
    const first = fileCheckpoint(path, { fsync: false });
    await first.save('a', { offset: 1, epoch: 'e' });
    await first.close!();
    await writeFile(path, other({ a: { offset: 9, epoch: 'e' } })); // the other process's turn

    const again = fileCheckpoint(path, { fsync: false });
    expect(await again.load('a')).toEqual({ offset: 9, epoch: 'e' });
    await again.save('a', { offset: 10, epoch: 'e' });
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ version: 1, channels: { a: { offset: 10, epoch: 'e' } } });
    await again.close!();
  });

  it('a store that reopens the file after close() keeps detecting conflicts from then on', async () => {
    const path = join(await mkdtemp(join(root, 'reopen-')), 'cp.json');
    const users = seenUsers().size;
    const store = fileCheckpoint(path, { fsync: false });
    await store.save('a', { offset: 1, epoch: 'e' });
    await store.close!();
    await store.load('a'); // takes the lock again: the file is open again
    await writeFile(path, other({ a: { offset: 5, epoch: 'e' } }));
    expect(isLifelineNodeError(await rejection(store.save('a', { offset: 2, epoch: 'e' })), 'CHECKPOINT_CONFLICT')).toBe(true);
    await store.close!();
    expect(seenUsers().size).toBe(users);
  });

  it('a load refused CHECKPOINT_LOCKED opens nothing', async () => {
    const path = join(await mkdtemp(join(root, 'refused-')), 'cp.json');
    const before = seen().size;
    const users = seenUsers().size;
    const lock = JSON.stringify({ pid: 4242, hostname: 'worker-9', startedAt: new Date().toISOString(), acquiredAt: new Date().toISOString(), token: 'theirs' });
    await writeFile(`${path}.lock`, lock); // a live holder on another host
    for (let i = 0; i < 20; i++) {
      const store = fileCheckpoint(path, { fsync: false });
      expect(isLifelineNodeError(await rejection(store.load('a')), 'CHECKPOINT_LOCKED')).toBe(true);
    }
    expect(seen().size).toBe(before);
    expect(seenUsers().size).toBe(users);
  });
});
