// Each file store's lock acquisition makes a token that marks lock files as this process's
// own (a lock file a release could not remove is taken back, not waited on). Tokens were
// never forgotten: a process opening stores for weeks (one per client, per job) kept one
// per store it ever opened. A token is forgotten once its lock file is removed.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fileCheckpoint, isLifelineNodeError } from '../src/index';
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

  it('acquisitions refused CHECKPOINT_LOCKED leave no token behind (one per refused attempt was kept)', async () => {
    const tokens = processWide<true>('lockTokens');
    const before = tokens.size;
    const path = join(root, 'held-elsewhere.json');
    // A live holder on another host (its lease fresh): every attempt is refused.
    const now = new Date().toISOString();
    await writeFile(`${path}.lock`, JSON.stringify({ pid: 4242, hostname: 'worker-9', startedAt: now, acquiredAt: now, token: 'theirs' }));
    for (let i = 0; i < 50; i++) {
      const store = fileCheckpoint(path, { fsync: false });
      const error = await store.load('orders').catch((e: unknown) => e);
      expect(isLifelineNodeError(error, 'CHECKPOINT_LOCKED')).toBe(true);
      const saveError = await store.save('orders', { offset: 1, epoch: 'e1' }).catch((e: unknown) => e);
      expect(isLifelineNodeError(saveError, 'CHECKPOINT_LOCKED')).toBe(true);
    }
    expect(tokens.size).toBe(before);
  });

  it('acquisitions failing on the file system (no directory for the lock file) leave no token behind', async () => {
    const tokens = processWide<true>('lockTokens');
    const before = tokens.size;
    // Each load tries the lock again and reads on without it (nothing can be written there).
    const store = fileCheckpoint(join(root, 'no-such-dir', 'cp.json'), { fsync: false });
    for (let i = 0; i < 20; i++) expect(await store.load('orders')).toBeNull();
    expect(tokens.size).toBe(before);
  });

  it("another store's lock joined after a refusal: the refused attempt's token is forgotten, the lock's kept", async () => {
    const tokens = processWide<true>('lockTokens');
    const before = tokens.size;
    const path = join(root, 'joined.json');
    const now = new Date().toISOString();
    await writeFile(`${path}.lock`, JSON.stringify({ pid: 4242, hostname: 'worker-9', startedAt: now, acquiredAt: now, token: 'theirs' }));
    // The poll's timer faked: the first attempt (refused, its token made) is over once it waits.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const waiting = fileCheckpoint(path, { fsync: false, lock: { waitMs: 60_000, pollMs: 20 } });
      const loaded = waiting.load('orders');
      while (vi.getTimerCount() === 0) await new Promise((resolve) => setImmediate(resolve));
      expect(tokens.size).toBe(before + 1);
      await rm(`${path}.lock`);
      // Taken by another store of this process; the waiting one joins it at its next poll.
      const other = fileCheckpoint(path, { fsync: false });
      await other.save('orders', { offset: 1, epoch: 'e1' });
      await vi.advanceTimersByTimeAsync(20);
      expect(await loaded).toEqual({ offset: 1, epoch: 'e1' });
      expect(tokens.size).toBe(before + 1);
      await waiting.close!();
      await other.close!();
    } finally {
      vi.useRealTimers();
    }
    expect(tokens.size).toBe(before);
  });

  it('a lock lost to another process leaves no token once its store is closed (it was kept until exit)', async () => {
    const tokens = processWide<true>('lockTokens');
    const before = tokens.size;
    const path = join(root, 'lost.json');
    const store = fileCheckpoint(path, { fsync: false });
    await store.save('orders', { offset: 1, epoch: 'e1' });
    expect(tokens.size).toBe(before + 1);
    // Another holder's record in our lock file: this process was taken for dead.
    const now = new Date().toISOString();
    const theirs = JSON.stringify({ pid: 4242, hostname: 'worker-9', startedAt: now, acquiredAt: now, token: 'theirs' });
    await writeFile(`${path}.lock`, theirs);
    const error = await store.save('orders', { offset: 2, epoch: 'e1' }).catch((e: unknown) => e);
    expect(isLifelineNodeError(error, 'CHECKPOINT_LOCKED')).toBe(true);
    await store.close!();
    expect(tokens.size).toBe(before);
    expect(await readFile(`${path}.lock`, 'utf8')).toBe(theirs); // theirs, left alone
  });

  it('a lost lock whose own file a racing takeover put back: close() removes that file and forgets its token', async () => {
    const tokens = processWide<true>('lockTokens');
    const before = tokens.size;
    const path = join(root, 'put-back.json');
    const store = fileCheckpoint(path, { fsync: false });
    await store.save('orders', { offset: 1, epoch: 'e1' });
    const ours = await readFile(`${path}.lock`, 'utf8');
    const now = new Date().toISOString();
    await writeFile(`${path}.lock`, JSON.stringify({ pid: 4242, hostname: 'worker-9', startedAt: now, acquiredAt: now, token: 'theirs' }));
    await expect(store.save('orders', { offset: 2, epoch: 'e1' })).rejects.toMatchObject({ code: 'CHECKPOINT_LOCKED' });
    // The takeover that moved ours aside links it back (see takeOver): the path holds our record again.
    await writeFile(`${path}.lock`, ours);
    await store.close!();
    expect(existsSync(`${path}.lock`)).toBe(false);
    expect(tokens.size).toBe(before);
    // Nobody holds the file now: another store takes it at once.
    const next = fileCheckpoint(path, { fsync: false });
    expect(await next.load('orders')).toEqual({ offset: 1, epoch: 'e1' });
    await next.close!();
  });

  it('a lock file deleted by hand: close() forgets its token (no file carries it)', async () => {
    const tokens = processWide<true>('lockTokens');
    const before = tokens.size;
    const path = join(root, 'deleted.json');
    const store = fileCheckpoint(path, { fsync: false });
    await store.load('orders');
    expect(tokens.size).toBe(before + 1);
    await rm(`${path}.lock`);
    await store.close!();
    expect(tokens.size).toBe(before);
  });
});
