// Channel names are free-form (core accepts `constructor`, `toString`, `__proto__`).
// The file store kept positions in a plain object: load('constructor') returned the
// Object function, and a saved `__proto__` entry vanished on the next read/write.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileCheckpoint } from '../src/checkpoint/fileCheckpoint';

const prototypeKeys = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lifeline-ckpt-keys-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('fileCheckpoint with channel names that are Object.prototype keys', () => {
  it.each(prototypeKeys)('load(%j) of a never-saved channel is null, with or without a file', async (name) => {
    const path = join(dir, `empty-${name}.json`);
    expect(await fileCheckpoint(path, { fsync: false }).load(name)).toBeNull();
    await fileCheckpoint(path, { fsync: false }).save('other', { offset: 1, epoch: 'e1' });
    expect(await fileCheckpoint(path, { fsync: false }).load(name)).toBeNull();
  });

  it('every such channel is saved as its own key and survives restarts and saves of other channels', async () => {
    const path = join(dir, 'all.json');
    const first = fileCheckpoint(path, { fsync: false });
    for (const [i, name] of prototypeKeys.entries()) await first.save(name, { offset: i + 1, epoch: 'e1' });
    await fileCheckpoint(path, { fsync: false }).save('other', { offset: 99, epoch: 'e1' }); // a restart, then a save

    const reloaded = fileCheckpoint(path, { fsync: false });
    for (const [i, name] of prototypeKeys.entries()) expect(await reloaded.load(name)).toEqual({ offset: i + 1, epoch: 'e1' });
    const onDisk = JSON.parse(await readFile(path, 'utf8')) as { channels: object };
    expect(Object.keys(onDisk.channels).sort()).toEqual([...prototypeKeys, 'other'].sort());
  });

  it('keeps a `__proto__` entry of a file written elsewhere when saving another channel', async () => {
    const path = join(dir, 'external.json');
    await writeFile(path, '{"version":1,"channels":{"__proto__":{"offset":7,"epoch":"e1"}}}');
    const store = fileCheckpoint(path, { fsync: false });
    expect(await store.load('__proto__')).toEqual({ offset: 7, epoch: 'e1' });
    expect(await store.load('offset')).toBeNull(); // not a property of some object
    await store.save('other', { offset: 1, epoch: 'e1' });
    expect(await fileCheckpoint(path, { fsync: false }).load('__proto__')).toEqual({ offset: 7, epoch: 'e1' });
  });
});
