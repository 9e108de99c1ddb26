import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { lstat, open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { LifelineNodeError } from '../errors';
import { createComplete } from './atomicCreate';
import { fileClockNow } from './fileClock';
import { underClaim, type ClaimOutcome } from './lockClaim';
import { readLockFile, sameLock, type FoundLock } from './lockFiles';
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

const targetOf = (lockPath: string): string => lockPath.slice(0, -'.lock'.length);

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
  // Known before the create: a file of ours that a takeover by an earlier release of this
  // package (it moved lock files aside to check them) put back is ours to take. One per
  // acquisition, however long it waits.
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
 * from the lock path (see {@link createExclusive}): a takeover by an earlier release of this
 * package (one that moved lock files aside) may still put it back.
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
    let forget = true;
    try {
      // Lost too: a takeover by an earlier release of this package may have put this process's file back.
      const found = await readLockFile(lock.lockPath);
      if (found !== null && found.text === lock.text) {
        // Under the file's claim, like a takeover: one taking it over from this process (taken
        // for gone: frozen past its lease) must not have its new lock removed by this unlink.
        const outcome = await underClaim(lock.lockPath, targetOf(lock.lockPath), found, (now) => sameLock(now, found), () => unlink(lock.lockPath));
        // Not removed: kept while the file may still be this process's (that taker may find it
        // renewed and give up, or the claims on it were left by a taker that froze).
        if (outcome !== 'done') forget = outcome === 'changed' && !sameLock(await readLockFile(lock.lockPath), found);
      }
    } catch (error) {
      // Gone already (deleted by hand): no file carries its token either. A read-only
      // directory keeps the file, and the token that marks it as this process's own.
      forget = (error as NodeJS.ErrnoException).code === 'ENOENT';
    } finally {
      // Removed: no file carries its token any more. Kept, one per store ever opened, a
      // process opening stores for weeks grew this map without bound. A lost lock's file is
      // another process's, whether or not the read above worked.
      if (forget || lock.lost) ownTokens.delete(token);
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
  // Ours again: put back by a takeover of an earlier release of this package that found it renewed.
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
 * a takeover checks that the lease ran out once it holds the claim on the file, then renames
 * its own over it, so a renewal either lands first (the takeover sees it and leaves the file)
 * or is seen here as lost.
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
 * One attempt at the lock file: this process's new lock, or `{ busy }` with the record of the
 * live process holding it (or taking it over right now). A stale lock is taken over (with a
 * warning) and a torn one waited for (at most {@link TORN_LOCK_MS}) within the attempt.
 */
async function takeLock(lockPath: string, token: Token, shownPath: string): Promise<HeldLock | { busy: LockRecord }> {
  const target = targetOf(lockPath);
  /** Since when another process has been seen taking the stale lock over. */
  let claimedSince: number | undefined;
  for (;;) {
    const record: LockRecord = { ...ownIdentity(), acquiredAt: new Date().toISOString(), token: token.value };
    const text = `${JSON.stringify(record)}\n`;
    token.text = text;
    const made = await createExclusive(lockPath, text);
    if (made === 'lost') token.placed = true;
    if (made === 'held') return hold(lockPath, text);
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
    /** The warning a takeover gives; null for this process's own file. */
    let warning: string | null;
    if (holder === null) {
      // Being written right now (an earlier release or a file system without hard links), or
      // its creator died before writing it.
      if ((await fileClockNow(target)) - found.mtimeMs < TORN_LOCK_MS) {
        await sleep(TORN_RETRY_MS);
        continue;
      }
      warning = `replaced the unreadable lock file ${lockPath} of checkpoint file ${shownPath} (its writer died while creating it)`;
    } else if (ownTokens.has(holder.token)) {
      // This process's own, left by a release that could not remove it (or put back by an
      // earlier package release's takeover after its acquisition was refused).
      warning = null;
    } else {
      // A lease is judged on the file system's clock; a PID this host checks needs no clock.
      const now = pidIsCheckable(holder) ? Date.now() : await fileClockNow(target);
      if (!holderIsGone(holder, found.mtimeMs, now)) return { busy: holder };
      const age = Math.round((now - found.mtimeMs) / 1000);
      const why = pidIsCheckable(holder) ? 'no longer runs' : `has not refreshed it for ${age} s (its lease is ${LOCK_LEASE_MS / 1000} s)`;
      warning =
        `took over the stale lock ${lockPath} of checkpoint file ${shownPath}: its holder, ${describeHolder(holderOf(holder))}, ` +
        `${why}: it ended without releasing it (a crash, kill -9)`;
    }
    // Known to the exit hook until `held` has it: a process.exit() once it is in place left it.
    creating.set(lockPath, text);
    let taken: 'held' | 'lost' | Exclude<ClaimOutcome, 'done'>;
    try {
      taken = await takeOver(lockPath, found, text);
    } finally {
      if (creating.get(lockPath) === text) creating.delete(lockPath);
    }
    if (taken === 'held') {
      // Replaced: no file carries that earlier token of this process any more.
      if (holder !== null && holder.token !== token.value && ownTokens.has(holder.token)) ownTokens.delete(holder.token);
      if (warning !== null) warn(warning);
      return hold(lockPath, text);
    }
    if (taken === 'lost') token.placed = true;
    if (typeof taken === 'object') {
      // Another live process is taking it over right now: in a moment it holds the lock.
      const by = taken.claimedBy ?? holder;
      claimedSince ??= Date.now();
      if (by !== null && Date.now() - claimedSince >= TORN_LOCK_MS) return { busy: by };
      await sleep(TORN_RETRY_MS);
    }
  }
}

function hold(lockPath: string, text: string): HeldLock {
  const lock: HeldLock = { lockPath, text, refs: 0, lost: null, refresh: keepFresh(lockPath, text) };
  held.set(lockPath, lock);
  ensureExitHook();
  return lock;
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
 * Creates the lock file with `text` unless it exists (`'exists'`: nothing created), complete
 * from its first instant (see {@link createComplete}). `'lost'` when the new file was no longer
 * at `lockPath` afterwards: replaced by a takeover that took this process for gone (frozen past
 * the lease; without hard links, also a creator slower than {@link TORN_LOCK_MS} between
 * creating and writing it, its empty file taken for torn): it holds nothing.
 */
async function createExclusive(lockPath: string, text: string): Promise<'held' | 'exists' | 'lost'> {
  // Before the create: the file exists once it is linked, before this process has it.
  ensureExitHook();
  creating.set(lockPath, text);
  try {
    const mine = await createComplete(lockPath, text, targetOf(lockPath));
    if (mine === 'exists') return 'exists';
    const atPath = await stat(lockPath).catch(() => null);
    return atPath !== null && atPath.ino === mine.ino && atPath.dev === mine.dev ? 'held' : 'lost';
  } finally {
    // The caller puts it in `held` as it resumes: no I/O in between.
    if (creating.get(lockPath) === text) creating.delete(lockPath);
  }
}

/**
 * Replaces the stale lock file `found` with this process's lock `text`, when it is still
 * `found`: the same file, the same text, not renewed since it was judged stale. Under the
 * file's claim ({@link underClaim}: of all processes that found this stale lock, one gets to
 * replace it), with one atomic `rename` of a complete file over it: the lock path is never
 * empty during a takeover, so no third process creates its lock in between, and nothing is
 * moved aside and put back. `'held'`: this process's lock is in place; `'lost'`: it was, and
 * was replaced at once (this process taken for gone); `'changed'`: the lock file is no longer
 * `found` (renewed, taken or removed): read it again; `claimedBy`: another live process is
 * taking it over. Exported for tests.
 */
export async function takeOver(lockPath: string, found: FoundLock, text: string): Promise<'held' | 'lost' | Exclude<ClaimOutcome, 'done'>> {
  const target = targetOf(lockPath);
  let placed: 'held' | 'lost' = 'lost';
  const outcome = await underClaim(
    lockPath,
    target,
    found,
    // A holder renewing its lease meanwhile (it was only frozen) keeps it.
    (now) => sameLock(now, found) && now!.mtimeMs === found.mtimeMs,
    async () => {
      placed = await replaceWith(lockPath, text, target);
    },
  );
  return outcome === 'done' ? placed : outcome;
}

/** Puts a complete lock file with `text` at `lockPath` in one `rename` over whatever is there. */
async function replaceWith(lockPath: string, text: string, target: string): Promise<'held' | 'lost'> {
  const temp = tempFileFor(target);
  try {
    await writeFile(temp.path, text, { mode: 0o644 });
    const mine = await stat(temp.path);
    await rename(temp.path, lockPath);
    const atPath = await stat(lockPath).catch(() => null);
    return atPath !== null && atPath.ino === mine.ino && atPath.dev === mine.dev ? 'held' : 'lost';
  } finally {
    // Renamed: nothing there any more. Failed before: the temporary file goes.
    await unlink(temp.path).catch(() => {});
    temp.done();
  }
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
