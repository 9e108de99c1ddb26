import { open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Position } from '@lifeline/core';
import { checkOptionsObject, isLifelineNodeError, LifelineNodeError, showValue } from '../errors';
import { checkKnownKeys, FILE_CHECKPOINT_OPTION_KEYS } from '../optionKeys';
import { formatCheckpointFile, parseCheckpointFile } from './fileFormat';
import { acquireLock, lockPathOf, releaseLock, verifyLock, type HeldLock } from './fileLock';
import { saveTarget } from './fileTarget';
import { resolveLockOption, type FileCheckpointLockOptions } from './lockOptions';
import { processWide } from './processWide';
import { releaseOnCollect } from './releaseOnCollect';
import { removeStaleTempFiles, tempFileFor } from './staleTempFiles';
import { CHECKPOINT_USE, type StoreWithUse } from './storeUse';
import { checkChannelArg, checkSaveArgs, type CheckpointStore } from './types';

/** Options of {@link fileCheckpoint}. */
export interface FileCheckpointOptions {
  /** fsync the file and its directory on every save (durable across power loss, not only crashes); a boolean. @default true */
  fsync?: boolean | undefined;
  /**
   * One process per checkpoint file, enforced: the store's first `load` or `save` creates a
   * lock file next to it, `<path>.lock` (created exclusively, complete, by a hard link; it
   * names the holder: pid, hostname, start time), held until `close()`, until every client using the store has ended (`close()`,
   * `drain()`), until the store is garbage-collected unclosed, or until the process exits. A
   * second process opening the file is refused with `CHECKPOINT_LOCKED` naming the path and
   * the holder, before it reads a position. A
   * lock whose holder no longer runs on this host (a crash, `kill -9`) is taken over with a
   * warning (`process.emitWarning`, code `LIFELINE_STALE_CHECKPOINT_LOCK`), by exactly one of
   * the processes racing for it (a `<path>.lock.<key>.<n>.claim` file decides). Stores of one
   * process share the lock.
   * - `true`: refuse at once while another process holds it.
   * - `{ waitMs, pollMs }`: wait up to `waitMs` for it (a rolling deploy), then refuse.
   * - `false`: no lock file (a file system without O_EXCL semantics); `CHECKPOINT_CONFLICT`
   *   still catches most overwrites, after the fact.
   * @default true
   */
  lock?: boolean | FileCheckpointLockOptions | undefined;
}

export type { FileCheckpointLockOptions };

/**
 * Saves to one file are queued here, per real path (every symlink resolved, the file's
 * own included) and for the whole process, so two stores on one file (two clients, a
 * store created twice, or reached through a symlink) never interleave their
 * read-modify-write cycles. An entry lives only while operations are queued.
 */
const queues = processWide<Promise<unknown>>('queues');

/**
 * Per real path, for the whole process: the file's text as this process last read or wrote
 * it (`null`: it was absent). A save finding other text there — a file another process wrote
 * meanwhile — refuses with `CHECKPOINT_CONFLICT` instead of overwriting it: two processes on
 * one file silently lost each other's positions (a consumer then resumed behind, or from the
 * head). Stores of this process share the entry, so their own saves never conflict. An entry
 * lives while the file is open here (see {@link seenUsers}).
 */
const seen = processWide<string | null>('seen');

/**
 * Per real path: the stores of this process that have the file open (from the first load or
 * save that got past the lock, until their release) plus the loads and saves under way on it.
 * The last one out drops the file's {@link seen} entry: kept for the life of the process, a
 * service opening a store per job or tenant grew the map by one file's text per path it ever
 * used. Nothing is lost by dropping it: with no store open, this process holds no lock on the
 * file and another process may take it and write it legitimately (the text kept made this
 * process's next store refuse that handover as a conflict); the next store reads it afresh,
 * like a restart.
 */
const seenUsers = processWide<number>('seenUsers');

/** One more user of `target`'s {@link seen} entry; the returned function ends that use (once). */
function useSeen(target: string): () => void {
  seenUsers.set(target, (seenUsers.get(target) ?? 0) + 1);
  let ended = false;
  return () => {
    if (ended) return;
    ended = true;
    const left = (seenUsers.get(target) ?? 1) - 1;
    if (left > 0) {
      seenUsers.set(target, left);
    } else {
      seenUsers.delete(target);
      seen.delete(target);
    }
  };
}

function serialized<T>(key: string, task: () => Promise<T>): Promise<T> {
  const run = (queues.get(key) ?? Promise.resolve()).then(task);
  const tail = run.catch(() => {});
  queues.set(key, tail);
  void tail.then(() => {
    if (queues.get(key) === tail) queues.delete(key);
  });
  return run;
}

/**
 * A checkpoint store in one JSON file (all channels of the process). Every save
 * reads the file, writes the updated content to a uniquely named temporary file
 * next to it, fsyncs it, renames it over the target and fsyncs the directory, so a
 * crash at any instant leaves either the old or the new file, never a torn one.
 * A symlinked file stays a link: the save replaces its target. The temporary files of a
 * process killed mid-save are removed by the store's first load or save, once over a minute
 * old and their process gone. Saves to one path are serialized across every store of the
 * process. One process per file: the first load or save takes the lock file `<path>.lock` (see
 * {@link FileCheckpointOptions.lock}; another live process holding it → `CHECKPOINT_LOCKED`,
 * naming the path and the holder), `close()` releases it. Behind the lock, a save that finds the
 * file changed since this process last read or wrote it (another process writing it) rejects
 * with `CHECKPOINT_CONFLICT` and writes nothing, until a restart or until every store of the process on
 * the file is closed (the text is remembered only while one has it open). A file deleted under the process is not a reset: until the next
 * save `load` answers the positions this process last read or wrote there, and that save
 * re-creates the file with all of them. `load` and `save` reject with `CHECKPOINT_FAILED` (I/O
 * error; a file this process never found loads as no checkpoint) or `CHECKPOINT_CORRUPT` (the
 * file is not JSON of this shape, version 1: it is then never overwritten). `save` rejects with `BAD_OPTION`, writing nothing,
 * for a position `load` would refuse (offset not an integer 0 … 2^53 − 1, epoch not a string);
 * `load` and `save` for a channel that is not a string.
 * @throws LifelineNodeError `BAD_OPTION` when `path` is not a non-empty string, `options` is not an object,
 * has a key other than `fsync` and `lock`, `fsync` is not a boolean or `lock` is invalid.
 */
export function fileCheckpoint(path: string, options: FileCheckpointOptions = {}): CheckpointStore {
  // '' resolved to the working directory (every load and save then failed on a directory),
  // undefined (an unset variable) threw Node's raw ERR_INVALID_ARG_TYPE.
  if (typeof path !== 'string' || path.length === 0) {
    throw new LifelineNodeError('BAD_OPTION', `fileCheckpoint() path must be a non-empty string (got ${showValue(path)})`);
  }
  checkOptionsObject(options, 'fileCheckpoint()');
  // A typo (`{ lok: false }`) kept the default without a word; `fsync: 0` turned fsync off
  // and `fsync: 'false'` kept it on.
  checkKnownKeys(options, FILE_CHECKPOINT_OPTION_KEYS, 'fileCheckpoint()');
  if (options.fsync !== undefined && typeof options.fsync !== 'boolean') {
    throw new LifelineNodeError('BAD_OPTION', `fileCheckpoint() fsync must be a boolean (got ${showValue(options.fsync)})`);
  }
  const fsync = options.fsync ?? true;
  const lockWait = resolveLockOption(options.lock);
  const resolved = resolve(path);

  const targetOf = (): Promise<string> =>
    saveTarget(resolved).catch((error: unknown) => {
      throw new LifelineNodeError('CHECKPOINT_FAILED', `cannot resolve checkpoint file ${path}${why(error)}`, { cause: error });
    });

  // Once per store, before its first read: never fails a load or a save.
  let cleaned: Promise<void> | null = null;
  const cleanOnce = (): Promise<void> =>
    (cleaned ??= targetOf()
      .then((target) => removeStaleTempFiles(target))
      .then(
        () => {},
        () => {},
      ));

  async function readText(file: string): Promise<string | null> {
    try {
      return await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new LifelineNodeError('CHECKPOINT_FAILED', `cannot read checkpoint file ${path}${why(error)}`, { cause: error });
    }
  }

  const parse = (text: string | null): Map<string, Position> => (text === null ? new Map() : parseCheckpointFile(text, path));

  /**
   * The positions to start from: the file's, or, when the file is missing, the text this
   * process last read or wrote there. A file deleted under a running process (a cleanup job,
   * an operator, a volume re-provisioned) was re-created by the next save with the saving
   * channel alone: every other channel lost its position, and after a restart resumed live,
   * skipping what was published meanwhile with no gap. (The remembered text parsed once
   * already: it is never corrupt.)
   */
  const known = (file: string, text: string | null): Map<string, Position> => parse(text ?? seen.get(file) ?? null);

  /** `beforeRename` runs once the new content is on disk, right before it replaces the file. */
  async function writeAll(target: string, channels: Map<string, Position>, beforeRename: () => Promise<void>): Promise<void> {
    const tmp = tempFileFor(target);
    const text = formatCheckpointFile(channels);
    try {
      const file = await open(tmp.path, 'w', 0o644);
      try {
        await file.writeFile(text, 'utf8');
        if (fsync) await file.sync();
      } finally {
        await file.close();
      }
      await beforeRename();
      await rename(tmp.path, target);
      seen.set(target, text);
      if (fsync) await syncDirectory(dirname(target));
    } catch (error) {
      await unlink(tmp.path).catch(() => {});
      if (isLifelineNodeError(error)) throw error;
      throw new LifelineNodeError('CHECKPOINT_FAILED', `cannot write checkpoint file ${path}${why(error)}`, { cause: error });
    } finally {
      tmp.done();
    }
  }

  /** This store's reference to the process's lock on the file, taken by its first load or save. */
  let lock: HeldLock | null = null;
  let locking: Promise<void> | null = null;
  /** Every save of this store, settled: a release waits for them (a save may still land). */
  let saving: Promise<unknown> = Promise.resolve();
  /**
   * Every load of this store, settled: a release waits for them too. A load still on its way
   * to the lock (removing stale temporary files, resolving the path) took it after the release
   * and kept it: a clean drain() resolved, then the lock file came back, held until exit.
   */
  let loading: Promise<unknown> = Promise.resolve();
  let clients = 0;
  /** The files (real paths) this store has open: its uses of their {@link seen} entries, ended by a release. */
  const opened = new Map<string, () => void>();
  const keepSeen = (target: string): void => {
    if (!opened.has(target)) opened.set(target, useSeen(target));
  };
  /** Aborted by each release: ends the waits for the lock of operations begun before it. */
  let closing = new AbortController();

  /**
   * Takes the lock before the first read, and checks it is still this process's before
   * each write. A lock file that cannot be created (read-only directory, no directory yet)
   * does not fail a load — nothing can be written there by anyone, and the next operation
   * tries again — but fails a save, naming the reason.
   */
  async function lockFor(target: string, op: 'load' | 'save', channel: string, closed: AbortSignal): Promise<void> {
    if (lockWait === null) return;
    try {
      if (lock === null) {
        await (locking ??= acquireLock(target, lockWait, path, channel, closed)
          .then((taken) => {
            lock = taken;
          })
          .finally(() => {
            locking = null;
          }));
      } else if (op === 'save') {
        await verifyLock(lock, path, channel);
      }
    } catch (error) {
      if (isLifelineNodeError(error)) throw error;
      if (op === 'load') return;
      // Held: its check failed (no file descriptor left, EIO), which may pass; the lock is kept.
      const what = lock === null ? 'create' : 'check';
      throw new LifelineNodeError('CHECKPOINT_FAILED', `cannot write checkpoint file ${path}: cannot ${what} its lock file ${lockPathOf(target)}${why(error)}`, {
        cause: error,
        channel,
      });
    }
  }

  /** `endWaits: false` (the store was collected): a load still waiting for the lock is awaited, not refused. */
  async function release(endWaits = true): Promise<void> {
    if (endWaits) {
      // Ends a wait for the lock under way (waitMs): a closed client must not wait for ever.
      closing.abort();
      closing = new AbortController();
    }
    await Promise.all([saving, loading]);
    if (locking) await locking.catch(() => {});
    const held = lock;
    lock = null;
    // With the lock: from now on another process may take the file and write it.
    const uses = [...opened.values()];
    opened.clear();
    for (const end of uses) end();
    if (held) await releaseLock(held);
  }

  /** One save's read-modify-write, in the file's queue, behind the lock. */
  async function checkAndWrite(file: string, channel: string, checked: Position, closed: AbortSignal): Promise<void> {
    const text = await readText(file);
    const all = known(file, text);
    const expected = seen.get(file);
    // A file deleted meanwhile is not another writer (every writer renames over it): it is
    // re-created with every channel this process knew (`known`), not this channel alone.
    if (expected !== undefined && text !== null && text !== expected) {
      throw new LifelineNodeError(
        'CHECKPOINT_CONFLICT',
        `checkpoint file ${path} was changed by another writer since this process last read or wrote it ` +
          '(two processes on one checkpoint file?); not overwritten: give each process its own file',
        { channel, details: { path: file } },
      );
    }
    all.set(channel, checked);
    // The lock again, right before the rename: writing the temporary file (its fsync above
    // all) can take long, and a process frozen meanwhile past its lease (an event loop
    // blocked, a suspended VM) may have lost the file to another: its write must not land.
    await writeAll(file, all, () => lockFor(file, 'save', channel, closed));
  }

  // Each save finds its target (a link may have been re-pointed), in call order: saves
  // enter the file's queue in the order they were made.
  let targets: Promise<unknown> = Promise.resolve();

  const store: StoreWithUse = {
    load(channel) {
      // A close() from now on ends this load's wait for the lock.
      const closed = closing.signal;
      const loaded = (async () => {
        checkChannelArg('fileCheckpoint', 'load', channel);
        await cleanOnce();
        const target = await targetOf();
        // This load's own use: a release under way (close() racing it) must not drop the entry
        // between its read and its write here, leaving one no store would ever drop.
        const using = useSeen(target);
        try {
          await lockFor(target, 'load', channel, closed);
          keepSeen(target);
          const text = await readText(target);
          // A file deleted since this process read or wrote it answers what the process knew:
          // the next save writes those positions back (a `null` here resumed the channel live).
          const all = known(target, text);
          // The first sight of the file is what a later save expects to find (a save since then,
          // by a store of this process, has set it already).
          if (!seen.has(target)) seen.set(target, text);
          return all.get(channel) ?? null;
        } finally {
          using();
        }
      })();
      loading = Promise.all([loading, loaded.catch(() => {})]);
      return loaded;
    },
    save(channel, position) {
      let checked: Position;
      try {
        checked = checkSaveArgs('fileCheckpoint', channel, position);
      } catch (error) {
        return Promise.reject(error);
      }
      const closed = closing.signal;
      const target = targets.then(async () => {
        await cleanOnce();
        return targetOf();
      });
      targets = target.catch(() => {});
      // Read-modify-write from the file itself, not from a per-store cache: another
      // store of this process on the same path may have written since (its channels
      // must survive this write). The read costs little next to the fsyncs.
      const saved = target.then((file) =>
        serialized(file, async () => {
          const using = useSeen(file);
          try {
            await lockFor(file, 'save', channel, closed);
            keepSeen(file);
            await checkAndWrite(file, channel, checked, closed);
          } finally {
            using();
          }
        }),
      );
      saving = Promise.all([saving, saved.catch(() => {})]);
      return saved;
    },
    /** Releases this store's hold on the lock once its saves are done (the next load or save takes it again). */
    close: () => release(),
    [CHECKPOINT_USE]() {
      clients += 1;
      return async () => {
        clients -= 1;
        if (clients === 0) await release();
      };
    },
  };
  // Never closed and dropped (a store per job): its lock and the file's text went only at exit.
  // Its operations under way do not keep it reachable: `await fileCheckpoint(p).load(c)` may be
  // collected while it waits for the lock, and that wait goes on (a close() would end it).
  releaseOnCollect(store, () => release(false));
  return store;
}

/**
 * The file system's reason, for the message (`: EACCES: permission denied, open '…'`): a log
 * line showing only `cannot write checkpoint file …` did not say disk full from read-only.
 */
function why(error: unknown): string {
  return error instanceof Error && error.message ? `: ${error.message}` : '';
}

async function syncDirectory(dir: string): Promise<void> {
  // Makes the rename itself durable. Some platforms cannot open a directory (Windows:
  // EISDIR/EPERM), some file systems cannot fsync one (EINVAL): best effort there. Any other
  // failure of the fsync (EIO) means the rename may not be on disk: the save is not durable.
  let handle;
  try {
    handle = await open(dir, 'r');
  } catch {
    return;
  }
  try {
    await handle.sync();
  } catch (error) {
    if (!NO_DIRECTORY_FSYNC.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
  } finally {
    await handle.close().catch(() => {});
  }
}

/** fsync(2) of a directory refused because the platform or file system does not do it. */
const NO_DIRECTORY_FSYNC = new Set(['EINVAL', 'ENOTSUP', 'EOPNOTSUPP', 'EISDIR', 'EPERM', 'EBADF']);
