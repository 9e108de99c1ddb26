import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { link, lstat, open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { LifelineNodeError } from '../errors';
import { describeHolder, holderIsGone, holderOf, LOCK_LEASE_MS, LOCK_REFRESH_MS, ownIdentity, pidIsCheckable, parseLockRecord, type LockRecord } from './lockHolder';
import { processWide } from './processWide';
import { tempFileFor } from './staleTempFiles';

/** How long a lock file may stay empty or torn (its creator died between creating and writing it). */
const TORN_LOCK_MS = 2_000;
const TORN_RETRY_MS = 20;

/** A lock this process holds on one checkpoint file, shared by every store of the process on it. */
export interface HeldLock {
  readonly lockPath: string;
  /** The lock file's text as this process wrote it. */
  readonly text: string;
  refs: number;
  /** Set once another process was found holding the file's lock: this one is gone. */
  lost: LifelineNodeError | null;
  /** The timer renewing the lease (the lock file's mtime) while held. */
  readonly refresh: ReturnType<typeof setInterval>;
}

export interface LockWait {
  waitMs: number;
  pollMs: number;
}

/** Per lock path, for the whole process: the lock it holds. */
const held = processWide<HeldLock>('locks');
/** Per lock path: an acquisition or a release under way (the next one waits for it). */
const busy = processWide<Promise<unknown>>('lockBusy');
/**
 * Tokens of the locks this process (this realm) took: a lock file with one of them is its
 * own, left by a release that could not remove it (a read-only directory by then).
 */
const ownTokens = processWide<true>('lockTokens');
/**
 * Per lock path: the text of a lock file this process is creating (not yet in {@link held}).
 * The exit hook removes it too: a process.exit() between the create and the `held` entry left it.
 */
const creating = processWide<string>('lockCreating');

/** `<checkpoint>.lock`: next to the file, so that it lives on the same volume as the file. */
export const lockPathOf = (target: string): string => `${target}.lock`;

function exclusive<T>(lockPath: string, task: () => Promise<T>): Promise<T> {
  const run = (busy.get(lockPath) ?? Promise.resolve()).then(task);
  const tail = run.catch(() => {});
  busy.set(lockPath, tail);
  void tail.then(() => {
    if (busy.get(lockPath) === tail) busy.delete(lockPath);
  });
  return run;
}

/**
 * Takes the lock of the checkpoint file `target` for the calling store (one reference; the
 * process's stores share the lock). A lock whose holder is gone is taken over with a
 * warning; a live one is waited for up to `wait.waitMs`, then refused with
 * `CHECKPOINT_LOCKED` — at once when `closed` aborts (the store was closed meanwhile). Rejects
 * with the file system's error when the lock file cannot be created (read-only directory, no
 * directory).
 */
export async function acquireLock(target: string, wait: LockWait, shownPath: string, channel: string, closed?: AbortSignal): Promise<HeldLock> {
  const lockPath = lockPathOf(target);
  const started = Date.now();
  // Known before the create: a file of ours that a racing takeover moved aside and put back
  // is ours to take. One per acquisition, however long it waits.
  let token: Token | undefined;
  for (;;) {
    // One attempt at a time per path; the wait between two attempts is outside it: another
    // store of this process on the file (its own waitMs, its own close()) or a release must
    // not queue behind this store's wait, for as long as another process holds the file.
    let attempt: HeldLock | { busy: LockRecord };
    try {
      attempt = await exclusive(lockPath, async () => {
        const lock = held.get(lockPath) ?? (await takeLock(lockPath, (token ??= newToken()), shownPath));
        if ('busy' in lock) return lock;
        lock.refs += 1;
        return lock;
      });
    } catch (error) {
      forgetToken(token);
      throw error;
    }
    if (!('busy' in attempt)) {
      // Another store's lock (held already): this acquisition's token marks no file.
      if (token !== undefined && attempt.text !== token.text) forgetToken(token);
      return attempt;
    }
    const waited = Date.now() - started;
    // Closed: the store was closed (its client closed or drained) while it waited.
    if (waited >= wait.waitMs || closed?.aborted) {
      forgetToken(token);
      const h = holderOf(attempt.busy);
      throw new LifelineNodeError(
        'CHECKPOINT_LOCKED',
        `checkpoint file ${shownPath} is in use by another process: ${describeHolder(h)}, lock file ${lockPath}` +
          (closed?.aborted ? ' (the store was closed while waiting for it)' : wait.waitMs > 0 ? ` (waited ${wait.waitMs} ms)` : '') +
          '. Two consumers on one checkpoint file overwrite each other\'s positions: stop the other process, or give this one its own file. ' +
          `A lock of a process that ended without releasing it is taken over: at once on its host, from another host or container once not refreshed for ${LOCK_LEASE_MS / 1000} s; ` +
          'to take it sooner, make sure that process is gone and delete the lock file',
        { channel, details: { path: shownPath, lockPath, holder: h } },
      );
    }
    // Woken by a close(): it used to wait out the poll (up to pollMs, 2^31 − 1 ms allowed), and
    // so did the close() and a clean drain() awaiting it, its timer keeping the process alive.
    await sleep(Math.min(wait.pollMs, wait.waitMs - waited), closed);
  }
}

/**
 * One acquisition's token. `placed`: a lock file carrying it was created and then found gone
 * from the lock path (see {@link createExclusive}): a takeover under way may still put it back.
 */
interface Token {
  readonly value: string;
  placed: boolean;
  /** The text of the last lock file made with it (set by {@link takeLock}). */
  text?: string;
}

function newToken(): Token {
  const value = randomBytes(8).toString('hex');
  ownTokens.set(value, true);
  return { value, placed: false };
}

/**
 * Forgets the token of an acquisition that ends without the lock (refused `CHECKPOINT_LOCKED`,
 * or an error): kept, a process retrying a held file (a `waitMs` poll loop of its own, a
 * supervisor's restarts of a job in-process, a load on a read-only directory each time) grew
 * the map by one per attempt. Kept only when a file of it may come back to the lock path (a
 * racing takeover putting it back): this process then takes it as its own instead of refusing
 * itself.
 */
function forgetToken(token: Token | undefined): void {
  if (token !== undefined && !token.placed) ownTokens.delete(token.value);
}

/** Drops one reference; the last one removes the lock file (when it is still this process's). */
export function releaseLock(lock: HeldLock): Promise<void> {
  return exclusive(lock.lockPath, async () => {
    lock.refs -= 1;
    if (lock.refs > 0) return;
    clearInterval(lock.refresh);
    const token = (JSON.parse(lock.text) as LockRecord).token;
    try {
      // Lost too: a racing takeover may have put this process's file back since (see takeOver).
      if ((await readFile(lock.lockPath, 'utf8')) === lock.text) await unlink(lock.lockPath);
      // Removed: no file carries its token any more. Kept, one per store ever opened, a
      // process opening stores for weeks grew this map without bound.
      ownTokens.delete(token);
    } catch (error) {
      // Gone already (deleted by hand): no file carries its token either. A read-only
      // directory keeps the file, and the token that marks it as this process's own.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') ownTokens.delete(token);
    } finally {
      // A lost lock's file is another process's: nothing of this process carries its token any
      // more, whether or not the read above worked. It was kept until exit, one per lost lock.
      if (lock.lost) ownTokens.delete(token);
      // Forgotten only once removed: a process.exit() while this reads the file (not awaiting
      // close()) had its exit hook skip a lock it no longer knew, and the file stayed.
      if (held.get(lock.lockPath) === lock) held.delete(lock.lockPath);
    }
  });
}

/**
 * Before a save, and again right before its rename: the lock file must still be this
 * process's. Checked in place and its lease renewed at once ({@link renewLease}), so that a
 * process that went unheard-of for a while (an event loop blocked, a suspended VM) either
 * finds its lock taken or holds it for a fresh lease. Missing (deleted by hand) it is written
 * again; another holder's (this process was taken for dead: frozen, another PID namespace
 * with this hostname) → `CHECKPOINT_LOCKED`, for good: the other process owns the file now.
 * Rejects with the file system's error when it cannot be read.
 */
export async function verifyLock(lock: HeldLock, shownPath: string, channel: string): Promise<void> {
  if (lock.lost) throw lock.lost;
  if (await renewLease(lock.lockPath, lock.text)) return;
  let text: string | null;
  try {
    text = await readFile(lock.lockPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    if ((await createExclusive(lock.lockPath, lock.text)) === 'held') return;
    text = await readFile(lock.lockPath, 'utf8').catch(() => '');
  }
  // Ours again: put back by a takeover that found it renewed (see takeOver).
  if (text === lock.text && (await renewLease(lock.lockPath, lock.text))) return;
  const other = parseLockRecord(text);
  lock.lost = new LifelineNodeError(
    'CHECKPOINT_LOCKED',
    `checkpoint file ${shownPath}: this process lost its lock ${lock.lockPath} to ${other ? describeHolder(holderOf(other)) : 'another process'}; ` +
      'not written (two processes on one checkpoint file): restart this process once the other one is stopped',
    { channel, details: { path: shownPath, lockPath: lock.lockPath, holder: other ? holderOf(other) : null } },
  );
  clearInterval(lock.refresh);
  if (held.get(lock.lockPath) === lock) held.delete(lock.lockPath);
  throw lock.lost;
}

/**
 * Renews the lease of the lock file `lockPath` when it is still `text` (this process's): its
 * bytes are written again in place, so that its modification time is the file system's clock
 * (the one a process on another host compares it with, see {@link fileClockNow}), not this
 * host's. Resolves true only when the renewed file is still the one at `lockPath` afterwards:
 * a takeover moves the file aside before it checks that the lease ran out, so a renewal
 * either lands first (the takeover sees it and puts the file back) or is seen here as lost.
 * Rejects when the file cannot be read or written for another reason than its absence (no
 * file descriptor left, EIO): that says nothing of who holds it, and taken as "not ours" it
 * marked the lock lost for good, failing every later save of a process that still held it.
 */
async function renewLease(lockPath: string, text: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(lockPath, 'r+');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  try {
    if ((await handle.readFile('utf8')) !== text) return false;
    await handle.write(text, 0, 'utf8');
    const [mine, atPath] = await Promise.all([handle.stat(), stat(lockPath).catch(missingAsNull)]);
    return atPath !== null && atPath.ino === mine.ino && atPath.dev === mine.dev;
  } finally {
    await handle.close().catch(() => {});
  }
}

const missingAsNull = (error: NodeJS.ErrnoException): null => {
  if (error.code === 'ENOENT') return null;
  throw error;
};

/**
 * The file system's clock now, next to `target`: the modification time of a file created
 * there (a temporary file the stale-file sweep also knows). A lease is judged on it, not on
 * `Date.now()`: a holder on another host stamps its lock file with the file system's time,
 * and a reader whose own clock runs 30 s ahead of it took every live holder for dead. Falls
 * back to `Date.now()` where nothing can be created (a read-only directory: nothing to take).
 */
async function fileClockNow(target: string): Promise<number> {
  const probe = tempFileFor(target);
  try {
    // Not O_EXCL: NFSv3 keeps an exclusive create's verifier in the times. The name is unique.
    await writeFile(probe.path, '');
    return (await stat(probe.path)).mtimeMs;
  } catch {
    return Date.now();
  } finally {
    await unlink(probe.path).catch(() => {});
    probe.done();
  }
}

/**
 * One attempt at the lock file: this process's new lock, or `{ busy }` with the record of the
 * live process holding it. A stale lock is taken over (with a warning) and a torn one waited
 * for (at most {@link TORN_LOCK_MS}) within the attempt.
 */
async function takeLock(lockPath: string, token: Token, shownPath: string): Promise<HeldLock | { busy: LockRecord }> {
  for (;;) {
    const record: LockRecord = { ...ownIdentity(), acquiredAt: new Date().toISOString(), token: token.value };
    const text = `${JSON.stringify(record)}\n`;
    token.text = text;
    const made = await createExclusive(lockPath, text);
    if (made === 'lost') token.placed = true;
    if (made === 'held') {
      const lock: HeldLock = { lockPath, text, refs: 0, lost: null, refresh: keepFresh(lockPath, text) };
      held.set(lockPath, lock);
      ensureExitHook();
      return lock;
    }
    const found = await readLockFile(lockPath);
    if (found === null) {
      // A symbolic link to nowhere makes the create fail (EEXIST) and the read find nothing
      // (ENOENT), for ever: this looped at full speed and the store never answered.
      if ((await lstat(lockPath).catch(() => null))?.isSymbolicLink()) {
        throw Object.assign(new Error(`${lockPath} is a symbolic link to a missing file: remove it`), { code: 'ENOENT', path: lockPath });
      }
      continue; // removed meanwhile: try again at once
    }
    const holder = parseLockRecord(found.text);
    if (holder === null) {
      // Being written right now, or its creator died before writing it.
      if ((await fileClockNow(lockPath.slice(0, -'.lock'.length))) - found.mtimeMs < TORN_LOCK_MS) {
        await sleep(TORN_RETRY_MS);
        continue;
      }
      if (await takeOver(lockPath, found)) warn(`removed the unreadable lock file ${lockPath} of checkpoint file ${shownPath} (its writer died while creating it)`);
      continue;
    }
    if (ownTokens.has(holder.token)) {
      // This process's own, left by a release that could not remove it (or put back by a
      // takeover after its acquisition was refused): once removed, no file carries its token.
      if ((await takeOver(lockPath, found)) && holder.token !== token.value) ownTokens.delete(holder.token);
      continue;
    }
    // A lease is judged on the file system's clock; a PID this host checks needs no clock.
    const now = pidIsCheckable(holder) ? Date.now() : await fileClockNow(lockPath.slice(0, -'.lock'.length));
    if (holderIsGone(holder, found.mtimeMs, now)) {
      if (await takeOver(lockPath, found)) {
        const age = Math.round((now - found.mtimeMs) / 1000);
        const why = pidIsCheckable(holder) ? 'no longer runs' : `has not refreshed it for ${age} s (its lease is ${LOCK_LEASE_MS / 1000} s)`;
        warn(
          `took over the stale lock ${lockPath} of checkpoint file ${shownPath}: its holder, ${describeHolder(holderOf(holder))}, ` +
            `${why}: it ended without releasing it (a crash, kill -9)`,
        );
      }
      continue;
    }
    return { busy: holder };
  }
}

/**
 * Renews the lease: touches the lock file every {@link LOCK_REFRESH_MS} while it is still this
 * process's, so that a process on another host (which cannot check this PID) tells a live
 * holder from a crashed one. Unref'd: holding a lock keeps no process alive.
 */
function keepFresh(lockPath: string, text: string): ReturnType<typeof setInterval> {
  // A failed renewal is tried again at the next tick; the next save's check reports it.
  const timer = setInterval(() => void renewLease(lockPath, text).catch(() => {}), LOCK_REFRESH_MS);
  timer.unref?.();
  return timer;
}

/**
 * Creates the lock file with `text` unless it exists (`'exists'`: nothing created). `'lost'`
 * when the new file was no longer at `lockPath` once written: a creator slower than
 * {@link TORN_LOCK_MS} between creating and writing it (an event loop blocked) had its empty
 * file taken over as torn, and holds nothing (that takeover may yet put the file back).
 */
async function createExclusive(lockPath: string, text: string): Promise<'held' | 'exists' | 'lost'> {
  // Before the create: the file exists once the open returns, before this process has it.
  ensureExitHook();
  creating.set(lockPath, text);
  try {
    let handle;
    try {
      handle = await open(lockPath, 'wx', 0o644);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return 'exists';
      throw error;
    }
    let mine;
    try {
      await handle.writeFile(text, 'utf8');
      mine = await handle.stat();
    } catch (error) {
      await handle.close().catch(() => {});
      await unlink(lockPath).catch(() => {});
      throw error;
    }
    await handle.close();
    const atPath = await stat(lockPath).catch(() => null);
    return atPath !== null && atPath.ino === mine.ino && atPath.dev === mine.dev ? 'held' : 'lost';
  } finally {
    // The caller puts it in `held` as it resumes: no I/O in between.
    if (creating.get(lockPath) === text) creating.delete(lockPath);
  }
}

/**
 * The lock file's text and modification time, of one and the same file (read through one
 * handle: a path read twice can name two files in a takeover), and fresh on NFS (an open
 * revalidates the attributes a bare stat may answer from its cache).
 */
async function readLockFile(lockPath: string): Promise<{ text: string; mtimeMs: number } | null> {
  let handle;
  try {
    handle = await open(lockPath, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    const [text, info] = await Promise.all([handle.readFile('utf8'), handle.stat()]);
    return { text, mtimeMs: info.mtimeMs };
  } finally {
    await handle.close().catch(() => {});
  }
}

/**
 * Removes the lock file when it is still `expected`: the same text, not renewed since. Moved
 * aside first (a rename is atomic): two processes both finding the same stale lock must not
 * both remove it, the second one removing the first one's new lock. Checked once aside: a
 * holder that renewed its lease meanwhile (it was only frozen) gets it back; one renewing it
 * from now on finds it gone (see renewLease). Resolves true when it removed `expected`.
 * Exported for tests.
 */
export async function takeOver(lockPath: string, expected: { text: string; mtimeMs: number }): Promise<boolean> {
  const aside = `${lockPath}.${process.pid}.${randomBytes(6).toString('hex')}.stale`;
  try {
    await rename(lockPath, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  const moved = await readLockFile(aside).catch(() => null);
  if (moved !== null && moved.text === expected.text && moved.mtimeMs === expected.mtimeMs) {
    await unlink(aside).catch(() => {});
    return true;
  }
  // Another process replaced the stale lock with its live one, or the holder renewed it: put it back.
  try {
    await link(aside, lockPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') await rename(aside, lockPath).catch(() => {});
  }
  await unlink(aside).catch(() => {});
  return false;
}

function warn(message: string): void {
  process.emitWarning(message, { code: 'LIFELINE_STALE_CHECKPOINT_LOCK' });
}

/**
 * Resolves after `ms`, or at once when `signal` aborts (its timer cleared). Ref'd on purpose:
 * a process waiting for the lock has nothing else keeping it alive.
 */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener('abort', done);
  });
}

/** Removes this process's lock files when it exits (not on a signal's default action or kill -9: those leave a stale lock). */
function ensureExitHook(): void {
  const registry = globalThis as unknown as Record<symbol, boolean | undefined>;
  const key = Symbol.for('@lifeline/node/fileCheckpoint/lockExitHook');
  if (registry[key]) return;
  registry[key] = true;
  process.on('exit', () => {
    for (const lock of held.values()) {
      if (lock.lost) continue;
      try {
        if (readFileSync(lock.lockPath, 'utf8') === lock.text) unlinkSync(lock.lockPath);
      } catch {
        // Gone, or a read-only directory.
      }
    }
    // Being created: ours, empty or partly written. (Another creator's empty or torn file
    // removed here costs nothing: that creator finds its file gone and tries again.)
    for (const [lockPath, text] of creating) {
      try {
        if (text.startsWith(readFileSync(lockPath, 'utf8'))) unlinkSync(lockPath);
      } catch {
        // Gone, or a read-only directory.
      }
    }
  });
}
