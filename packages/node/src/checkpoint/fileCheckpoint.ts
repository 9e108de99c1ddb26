import { open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Position } from '@lifeline/core';
import { checkOptionsObject, LifelineNodeError } from '../errors';
import { formatCheckpointFile, parseCheckpointFile } from './fileFormat';
import { saveTarget } from './fileTarget';
import { removeStaleTempFiles, tempFileFor } from './staleTempFiles';
import { checkChannelArg, checkSaveArgs, type CheckpointStore } from './types';

/** Options of {@link fileCheckpoint}. */
export interface FileCheckpointOptions {
  /** fsync the file and its directory on every save (durable across power loss, not only crashes). @default true */
  fsync?: boolean | undefined;
}

/**
 * A Map shared by every copy of this module in the process (the ESM and the CommonJS build
 * loaded side by side, two versions in node_modules): per-module maps made such copies
 * interleave their writes, and each would take the other's saves for another process's.
 */
function processWide<V>(name: string): Map<string, V> {
  const registry = globalThis as unknown as Record<symbol, Map<string, V> | undefined>;
  const key = Symbol.for(`@lifeline/node/fileCheckpoint/${name}`);
  return (registry[key] ??= new Map<string, V>());
}

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
 * head). Stores of this process share the entry, so their own saves never conflict.
 */
const seen = processWide<string | null>('seen');

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
 * process. One process per file: a save that finds the file changed since this process last
 * read or wrote it (another process writing it) rejects with `CHECKPOINT_CONFLICT` and writes
 * nothing, until a restart. A file deleted under the process is not a reset: until the next
 * save `load` answers the positions this process last read or wrote there, and that save
 * re-creates the file with all of them. `load` and `save` reject with `CHECKPOINT_FAILED` (I/O
 * error; a file this process never found loads as no checkpoint) or `CHECKPOINT_CORRUPT` (the
 * file is not JSON of this shape, version 1: it is then never overwritten). `save` rejects with `BAD_OPTION`, writing nothing,
 * for a position `load` would refuse (offset not an integer 0 … 2^53 − 1, epoch not a string);
 * `load` and `save` for a channel that is not a string.
 * @throws LifelineNodeError `BAD_OPTION` when `path` is not a non-empty string or `options` is not an object.
 */
export function fileCheckpoint(path: string, options: FileCheckpointOptions = {}): CheckpointStore {
  // '' resolved to the working directory (every load and save then failed on a directory),
  // undefined (an unset variable) threw Node's raw ERR_INVALID_ARG_TYPE.
  if (typeof path !== 'string' || path.length === 0) {
    throw new LifelineNodeError('BAD_OPTION', `fileCheckpoint() path must be a non-empty string (got ${path === '' ? "''" : String(path)})`);
  }
  checkOptionsObject(options, 'fileCheckpoint()');
  const fsync = options.fsync ?? true;
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

  async function writeAll(target: string, channels: Map<string, Position>): Promise<void> {
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
      await rename(tmp.path, target);
      seen.set(target, text);
      if (fsync) await syncDirectory(dirname(target));
    } catch (error) {
      await unlink(tmp.path).catch(() => {});
      throw new LifelineNodeError('CHECKPOINT_FAILED', `cannot write checkpoint file ${path}${why(error)}`, { cause: error });
    } finally {
      tmp.done();
    }
  }

  // Each save finds its target (a link may have been re-pointed), in call order: saves
  // enter the file's queue in the order they were made.
  let targets: Promise<unknown> = Promise.resolve();

  return {
    async load(channel) {
      checkChannelArg('fileCheckpoint', 'load', channel);
      await cleanOnce();
      const target = await targetOf();
      const text = await readText(target);
      // A file deleted since this process read or wrote it answers what the process knew:
      // the next save writes those positions back (a `null` here resumed the channel live).
      const all = known(target, text);
      // The first sight of the file is what a later save expects to find (a save since then,
      // by a store of this process, has set it already).
      if (!seen.has(target)) seen.set(target, text);
      return all.get(channel) ?? null;
    },
    save(channel, position) {
      let checked: Position;
      try {
        checked = checkSaveArgs('fileCheckpoint', channel, position);
      } catch (error) {
        return Promise.reject(error);
      }
      const target = targets.then(async () => {
        await cleanOnce();
        return targetOf();
      });
      targets = target.catch(() => {});
      // Read-modify-write from the file itself, not from a per-store cache: another
      // store of this process on the same path may have written since (its channels
      // must survive this write). The read costs little next to the fsyncs.
      return target.then((file) =>
        serialized(file, async () => {
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
          await writeAll(file, all);
        }),
      );
    },
  };
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
