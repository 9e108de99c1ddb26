import { mkdtemp, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fileCheckpoint, isLifelineNodeError } from '../src/index';
import { takeOver } from '../src/checkpoint/fileLock';
import { readLockFile } from '../src/checkpoint/lockFiles';
import { processWide } from '../src/checkpoint/processWide';
import { LOCK_LEASE_MS, LOCK_REFRESH_MS } from '../src/checkpoint/lockHolder';

// The lock's races: a holder frozen past its lease (an event loop blocked, a suspended VM)
// whose save was already under way when another process took the file over; a takeover
// racing the holder's renewal; hosts whose clocks disagree on a shared volume. Each is a
// write landing on a file another process owns, or a live lock taken.

/**
 * `onTempOpen` runs once, when the next save's temporary file has been opened (the write is
 * under way); `onLockCreate` once, when a lock file has been created (linked into place).
 */
const hooks = vi.hoisted(() => ({ onTempOpen: null as null | (() => Promise<void>), onLockCreate: null as null | (() => Promise<void>) }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const open: typeof actual.open = async (...args) => {
    const handle = await actual.open(...args);
    const hook = hooks.onTempOpen;
    if (hook && String(args[0]).endsWith('.tmp') && args[1] === 'w') {
      hooks.onTempOpen = null;
      await hook();
    }
    return handle;
  };
  const link: typeof actual.link = async (...args) => {
    await actual.link(...args);
    const onLock = hooks.onLockCreate;
    if (onLock && String(args[1]).endsWith('.lock')) {
      hooks.onLockCreate = null;
      await onLock();
    }
  };
  return { ...actual, default: { ...actual, open, link }, open, link };
});

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'lifeline-lockraces-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** A lock record of a process on another host (its PID cannot be checked from here: only its lease). */
const foreign = (token: string) =>
  JSON.stringify({ pid: 4242, hostname: 'worker-9', startedAt: new Date().toISOString(), acquiredAt: new Date().toISOString(), token });

/** The real time, whatever Date says (fake timers). */
const realNow = () => performance.timeOrigin + performance.now();

describe('fileCheckpoint lock races', () => {
  it('a takeover while a save writes its temporary file (a holder frozen past its lease): the save rejects with CHECKPOINT_LOCKED, the file untouched', async () => {
    const path = join(root, 'frozen.json');
    const store = fileCheckpoint(path, { fsync: false });
    await store.save('orders', { offset: 1, epoch: 'e1' });
    const before = await readFile(path, 'utf8');
    // What another host does once this one's lease ran out: its own lock in place of ours.
    hooks.onTempOpen = () => writeFile(`${path}.lock`, foreign('theirs'));
    const error = await store.save('orders', { offset: 2, epoch: 'e1' }).catch((e: unknown) => e);
    expect(hooks.onTempOpen).toBeNull(); // the takeover happened mid-save
    expect(isLifelineNodeError(error, 'CHECKPOINT_LOCKED')).toBe(true);
    expect((error as Error).message).toContain('lost its lock');
    expect(await readFile(path, 'utf8')).toBe(before);
    expect(JSON.parse(await readFile(`${path}.lock`, 'utf8'))).toMatchObject({ token: 'theirs' });
    await store.close!();
  });

  it('a takeover finding the lock renewed once it holds the claim on it (its holder was only frozen) leaves it in place', async () => {
    const lockPath = join(root, 'renewed.json.lock');
    const text = foreign('holder');
    await writeFile(lockPath, text);
    const old = new Date(Date.now() - LOCK_LEASE_MS - 5_000);
    await utimes(lockPath, old, old);
    const found = await readLockFile(lockPath); // read as stale…
    const now = new Date();
    await utimes(lockPath, now, now); // …then renewed by its holder, before the takeover acted
    const ours = foreign('ours');
    expect(await takeOver(lockPath, found!, ours)).toBe('changed');
    expect(await readFile(lockPath, 'utf8')).toBe(text);
    // Not renewed: taken, this process's lock in its place, no claim left behind.
    expect(await takeOver(lockPath, (await readLockFile(lockPath))!, ours)).toBe('held');
    expect(await readFile(lockPath, 'utf8')).toBe(ours);
    expect((await readdir(root)).filter((name) => name.startsWith('renewed.json.lock.'))).toEqual([]);
  });

  it("a reader whose clock runs a minute ahead does not take another host's fresh lock (the lease is judged on the file system's clock)", async () => {
    const path = join(root, 'ahead.json');
    await writeFile(`${path}.lock`, foreign('fresh'));
    vi.useFakeTimers({ toFake: ['Date'], now: realNow() + 60_000 });
    try {
      const error = await fileCheckpoint(path, { fsync: false }).load('orders').catch((e: unknown) => e);
      expect(isLifelineNodeError(error, 'CHECKPOINT_LOCKED')).toBe(true);
    } finally {
      vi.useRealTimers();
    }
    expect(JSON.parse(await readFile(`${path}.lock`, 'utf8'))).toMatchObject({ token: 'fresh' });
  });

  it("a holder whose clock runs a minute behind renews its lease on the file system's clock (others would take it for expired)", async () => {
    const path = join(root, 'behind.json');
    vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'], now: realNow() - 60_000 });
    try {
      const store = fileCheckpoint(path, { fsync: false });
      await store.load('orders');
      const old = new Date(realNow() - LOCK_LEASE_MS - 5_000);
      await utimes(`${path}.lock`, old, old);
      await vi.advanceTimersByTimeAsync(LOCK_REFRESH_MS);
      let mtimeMs = 0;
      for (let i = 0; i < 200 && !(realNow() - mtimeMs < 10_000); i += 1) {
        mtimeMs = (await stat(`${path}.lock`)).mtimeMs;
        if (realNow() - mtimeMs >= 10_000) await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(realNow() - mtimeMs).toBeLessThan(10_000);
      await store.close!();
    } finally {
      vi.useRealTimers();
    }
  });

  it("a refused acquisition whose own lock file was moved aside keeps its token: that file put back is taken as this process's, not refused as another holder's", async () => {
    const path = join(root, 'moved-aside.json');
    const lockPath = `${path}.lock`;
    const aside = `${lockPath}.aside`;
    const tokens = processWide<true>('lockTokens');
    const before = tokens.size;
    // A takeover under way (this creator taken as torn, frozen before writing) moves the new
    // file aside, and another host's lock lands at the path meanwhile.
    hooks.onLockCreate = async () => {
      await rename(lockPath, aside);
      await writeFile(lockPath, foreign('theirs'));
    };
    const error = await fileCheckpoint(path, { fsync: false }).load('orders').catch((e: unknown) => e);
    expect(hooks.onLockCreate).toBeNull();
    expect(isLifelineNodeError(error, 'CHECKPOINT_LOCKED')).toBe(true);
    expect(tokens.size).toBe(before + 1); // the file aside carries it
    // That takeover puts the file back (the other lock gone meanwhile): it is this process's own.
    await rename(aside, lockPath);
    const store = fileCheckpoint(path, { fsync: false });
    await store.save('orders', { offset: 1, epoch: 'e1' });
    await store.close!();
    await expect(stat(lockPath)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(tokens.size).toBe(before); // that file removed, its token goes too
  });
});
