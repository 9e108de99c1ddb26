// Two processes on one checkpoint file (a worker started twice by mistake, two services given
// the same path) used to overwrite each other's positions without a word: a consumer then
// resumed behind what it had processed, or from the head (its channel gone from the file:
// messages published meanwhile skipped). A save now refuses with CHECKPOINT_CONFLICT when the
// file is not what this process last read or wrote, and writes nothing.
//
// Here "another process" is a write that does not go through a store of this process
// (readOnlyCheckpointDir/crash tests cover real processes; twoProcessCheckpoint.test.ts runs two).
import { mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLifelineNodeError } from '../src/index';
import { fileCheckpoint } from '../src/checkpoint/fileCheckpoint';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'lifeline-ckpt-conflict-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const other = (channels: Record<string, { offset: number; epoch: string }>) => JSON.stringify({ version: 1, channels });
const rejection = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e);

describe('fileCheckpoint: a file written by another process since this one read or wrote it', () => {
  it('a save after this process wrote: CHECKPOINT_CONFLICT, the other writer\'s file left byte for byte', async () => {
    const path = join(await mkdtemp(join(root, 'after-write-')), 'cp.json');
    const store = fileCheckpoint(path, { fsync: false });
    await store.save('a', { offset: 1, epoch: 'e' });
    const theirs = other({ b: { offset: 7, epoch: 'e' } }); // the other process's write (it never read ours)
    await writeFile(path, theirs);

    const error = await rejection(store.save('a', { offset: 2, epoch: 'e' }));
    expect(isLifelineNodeError(error, 'CHECKPOINT_CONFLICT'), String(error)).toBe(true);
    expect((error as Error).message).toContain('another writer');
    expect((error as { channel?: string }).channel).toBe('a');
    expect(await readFile(path, 'utf8')).toBe(theirs);
    // Every store of this process on the file refuses it (one process, one view of the file),
    // until a restart reads it afresh.
    const again = await rejection(fileCheckpoint(path).save('c', { offset: 1, epoch: 'e' }));
    expect(isLifelineNodeError(again, 'CHECKPOINT_CONFLICT')).toBe(true);
    expect(await readFile(path, 'utf8')).toBe(theirs);
  });

  it('a file created by another process after this one loaded it as absent: CHECKPOINT_CONFLICT on the first save', async () => {
    const path = join(await mkdtemp(join(root, 'after-load-')), 'cp.json');
    const store = fileCheckpoint(path, { fsync: false });
    expect(await store.load('a')).toBeNull();
    const theirs = other({ a: { offset: 40, epoch: 'e' } });
    await writeFile(path, theirs);
    const error = await rejection(store.save('a', { offset: 1, epoch: 'e' }));
    expect(isLifelineNodeError(error, 'CHECKPOINT_CONFLICT'), String(error)).toBe(true);
    expect(await readFile(path, 'utf8')).toBe(theirs);
  });

  it('no conflict: saves of several stores of this process, a load then a save', async () => {
    const path = join(await mkdtemp(join(root, 'ok-')), 'cp.json');
    await writeFile(path, other({ a: { offset: 3, epoch: 'e' } })); // left by the previous run
    const one = fileCheckpoint(path, { fsync: false });
    const two = fileCheckpoint(path, { fsync: false });
    expect(await one.load('a')).toEqual({ offset: 3, epoch: 'e' });
    await Promise.all([one.save('a', { offset: 4, epoch: 'e' }), two.save('b', { offset: 1, epoch: 'e' }), one.save('a', { offset: 5, epoch: 'e' })]);
    expect(await two.load('a')).toEqual({ offset: 5, epoch: 'e' });
  });
});

// A file deleted under a running process (a cleanup job, an operator, a re-provisioned volume) is
// not another writer: the next save re-creates it. It used to hold the saving channel alone, so
// every other channel of the process lost its position and, after a restart, got no `since`:
// it resumed live, skipping what was published meanwhile, with no gap event.
describe('fileCheckpoint: a file deleted under a running process', () => {
  const file = async (path: string) => JSON.parse(await readFile(path, 'utf8')) as unknown;

  it('the next save re-creates it with every channel this process wrote, not the saving one alone', async () => {
    const path = join(await mkdtemp(join(root, 'deleted-after-write-')), 'cp.json');
    const one = fileCheckpoint(path, { fsync: false });
    const two = fileCheckpoint(path, { fsync: false }); // another consumer of the process, same file
    await one.save('a', { offset: 5, epoch: 'e' });
    await two.save('b', { offset: 1, epoch: 'e' });
    await unlink(path);

    await two.save('b', { offset: 2, epoch: 'e' });
    // What a restart loads: `a` is still there (it vanished: the restarted `a` resumed live).
    expect(await file(path)).toEqual({ version: 1, channels: { a: { offset: 5, epoch: 'e' }, b: { offset: 2, epoch: 'e' } } });
    // No conflict afterwards: the re-created file is this process's own.
    await one.save('a', { offset: 6, epoch: 'e' });
    expect(await file(path)).toEqual({ version: 1, channels: { a: { offset: 6, epoch: 'e' }, b: { offset: 2, epoch: 'e' } } });
  });

  it('keeps the channels of the file as this process loaded it (left by the previous run, never saved here)', async () => {
    const path = join(await mkdtemp(join(root, 'deleted-after-load-')), 'cp.json');
    await writeFile(path, other({ a: { offset: 3, epoch: 'e' }, c: { offset: 9, epoch: 'f' } }));
    const store = fileCheckpoint(path, { fsync: false });
    expect(await store.load('b')).toBeNull();
    await unlink(path);

    await store.save('b', { offset: 1, epoch: 'e' });
    expect(await file(path)).toEqual({
      version: 1,
      channels: { a: { offset: 3, epoch: 'e' }, c: { offset: 9, epoch: 'f' }, b: { offset: 1, epoch: 'e' } },
    });
  });

  it('a load before the next save answers the position this process knew (null resumed the channel live)', async () => {
    const path = join(await mkdtemp(join(root, 'deleted-load-')), 'cp.json');
    const store = fileCheckpoint(path, { fsync: false });
    await store.save('a', { offset: 5, epoch: 'e' });
    await unlink(path);
    expect(await store.load('a')).toEqual({ offset: 5, epoch: 'e' });
    expect(await fileCheckpoint(path, { fsync: false }).load('a')).toEqual({ offset: 5, epoch: 'e' });
    expect(await store.load('b')).toBeNull();
  });

  it('a file this process never saw stays empty: a first save writes its channel alone', async () => {
    const path = join(await mkdtemp(join(root, 'never-there-')), 'cp.json');
    const store = fileCheckpoint(path, { fsync: false });
    expect(await store.load('a')).toBeNull();
    await store.save('b', { offset: 1, epoch: 'e' });
    expect(await file(path)).toEqual({ version: 1, channels: { b: { offset: 1, epoch: 'e' } } });
  });
});
