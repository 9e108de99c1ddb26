// End to end with channels named like Object.prototype keys: consume with a file
// checkpoint, drain (its result maps channel → position), resume in a new client.
// Before, the store's load('constructor') handed core a function as `since` (the
// server refused the subscribe) and a `__proto__` entry was lost.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeClient, fileCheckpoint } from '../src/index';
import { waitFor } from './fixtures/fakeChannel';
import { publishHttp } from './fixtures/publishHttp';
import { useTestServer } from './fixtures/testServer';

const testServer = useTestServer();
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lifeline-proto-names-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('channels named like Object.prototype keys, with a file checkpoint', () => {
  it.each(['constructor', '__proto__'])('%s: consumed, drained into its own checkpoint entry, resumed by a new client', async (name) => {
    const path = join(dir, `${name}.json`);
    const first = createNodeClient({ url: testServer.url, checkpoint: fileCheckpoint(path, { fsync: false }) });
    const got: number[] = [];
    try {
      const consuming = first.channel<number>(name).consume((m) => void got.push(m.data));
      await waitFor(() => first.channel(name).channel?.getSnapshot().state === 'subscribed', 5000, 'subscribed');
      await publishHttp(testServer.httpUrl, name, 1);
      await waitFor(() => got.length === 1, 5000, 'message consumed');
      const result = await first.drain({ timeoutMs: 5000 });
      expect(Object.hasOwn(result.checkpoints, name)).toBe(true);
      expect(result.checkpoints[name]).toMatchObject({ offset: 1 });
      await consuming;
    } finally {
      await first.close();
    }

    await publishHttp(testServer.httpUrl, name, 2);
    const second = createNodeClient({ url: testServer.url, checkpoint: fileCheckpoint(path, { fsync: false }) });
    try {
      const iterator = second.channel<number>(name).messages();
      const next = await iterator.next();
      expect(next.value?.data).toBe(2);
      expect(second.channel(name).resumedFrom).toMatchObject({ offset: 1 });
      await iterator.return();
    } finally {
      await second.close();
    }
  });
});
