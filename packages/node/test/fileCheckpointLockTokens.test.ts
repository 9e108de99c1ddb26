// Each file store's lock acquisition makes a token that marks lock files as this process's
// own (a lock file a release could not remove is taken back, not waited on). Tokens were
// never forgotten: a process opening stores for weeks (one per client, per job) kept one
// per store it ever opened. A token is forgotten once its lock file is removed.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileCheckpoint } from '../src/index';
import { processWide } from '../src/checkpoint/processWide';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'lifeline-locktokens-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('fileCheckpoint lock tokens', () => {
  it('200 stores opened and closed one after another leave no token behind', async () => {
    const tokens = processWide<true>('lockTokens');
    const before = tokens.size;
    for (let i = 0; i < 200; i++) {
      const store = fileCheckpoint(join(root, `cp-${i % 5}.json`), { fsync: false });
      await store.save('orders', { offset: i + 1, epoch: 'e1' });
      await store.close!();
    }
    expect(tokens.size).toBe(before);
  });

  it('a store still open keeps its token (its lock file is on disk)', async () => {
    const tokens = processWide<true>('lockTokens');
    const before = tokens.size;
    const store = fileCheckpoint(join(root, 'open.json'), { fsync: false });
    await store.save('orders', { offset: 1, epoch: 'e1' });
    expect(tokens.size).toBe(before + 1);
    await store.close!();
    expect(tokens.size).toBe(before);
  });
});
