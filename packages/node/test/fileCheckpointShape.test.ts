// A checkpoint file that parses as JSON but is not {"version":1,"channels":{…}} — a file
// written by a newer version, an edit gone wrong, a config file at the wrong path — was
// read as "no checkpoint": the consumer started from `since`/the head and the next save
// overwrote the file, losing every position in it. It is refused with
// CHECKPOINT_CORRUPT now, by load and by save, and left byte for byte as it was.
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileCheckpoint } from '../src/checkpoint/fileCheckpoint';
import { isLifelineNodeError } from '../src/errors';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lifeline-ckpt-shape-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const position = { offset: 41, epoch: 'e1' };
const refused: Array<[string, string]> = [
  ['a newer version', JSON.stringify({ version: 2, channels: { orders: position } })],
  ['no version', JSON.stringify({ channels: { orders: position } })],
  ['version as a string', JSON.stringify({ version: '1', channels: { orders: position } })],
  ['no channels', JSON.stringify({ version: 1 })],
  ['channels as an array', JSON.stringify({ version: 1, channels: [position] })],
  ['channels null', JSON.stringify({ version: 1, channels: null })],
  ['an unknown key next to the channels', JSON.stringify({ version: 1, channels: { orders: position }, owner: 'billing' })],
  ['an empty object', '{}'],
  ['an array', JSON.stringify([position])],
  ['a string', JSON.stringify('orders')],
  ['a number', '41'],
  ['null', 'null'],
];

describe('fileCheckpoint refuses a file of another shape or version, and never overwrites it', () => {
  for (const [what, text] of refused) {
    it(what, async () => {
      const path = join(dir, `${what.replace(/\W+/g, '-')}.json`);
      await writeFile(path, text);
      const store = fileCheckpoint(path, { fsync: false });
      const loadError = await store.load('orders').then(() => null, (e: unknown) => e);
      expect(isLifelineNodeError(loadError, 'CHECKPOINT_CORRUPT'), String(loadError)).toBe(true);
      const saveError = await store.save('orders', { offset: 42, epoch: 'e1' }).then(() => null, (e: unknown) => e);
      expect(isLifelineNodeError(saveError, 'CHECKPOINT_CORRUPT'), String(saveError)).toBe(true);
      expect(await readFile(path, 'utf8')).toBe(text);
    });
  }

  it('says which rule the file breaks (and that it is kept)', async () => {
    const path = join(dir, 'v3.json');
    await writeFile(path, JSON.stringify({ version: 3, channels: {} }));
    await expect(fileCheckpoint(path).load('orders')).rejects.toThrow(/version 3.*reads version 1.*not overwritten/);
  });

  it('still reads and updates a valid version-1 file (also one with no channel yet), leaving no temporary file', async () => {
    const sub = await mkdtemp(join(dir, 'ok-'));
    const path = join(sub, 'cp.json');
    await writeFile(path, JSON.stringify({ version: 1, channels: {} }));
    const store = fileCheckpoint(path, { fsync: false });
    expect(await store.load('orders')).toBeNull();
    await store.save('orders', position);
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ version: 1, channels: { orders: position } });
    expect(await readdir(sub)).toEqual(['cp.json', 'cp.json.lock']);
  });
});
