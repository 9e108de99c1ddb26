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

  it('no conflict: saves of several stores of this process, a load then a save, a file deleted meanwhile (re-created)', async () => {
    const path = join(await mkdtemp(join(root, 'ok-')), 'cp.json');
    await writeFile(path, other({ a: { offset: 3, epoch: 'e' } })); // left by the previous run
    const one = fileCheckpoint(path, { fsync: false });
    const two = fileCheckpoint(path, { fsync: false });
    expect(await one.load('a')).toEqual({ offset: 3, epoch: 'e' });
    await Promise.all([one.save('a', { offset: 4, epoch: 'e' }), two.save('b', { offset: 1, epoch: 'e' }), one.save('a', { offset: 5, epoch: 'e' })]);
    expect(await two.load('a')).toEqual({ offset: 5, epoch: 'e' });
    await unlink(path);
    await two.save('b', { offset: 2, epoch: 'e' });
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ version: 1, channels: { b: { offset: 2, epoch: 'e' } } });
  });
});
