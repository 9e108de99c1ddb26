import { randomBytes } from 'node:crypto';
import { open, readFile, realpath, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Position } from '@lifeline/core';
import { LifelineNodeError } from '../errors';
import { parsePosition, type CheckpointStore } from './types';

interface FileContent {
  version: 1;
  channels: Record<string, Position>;
}

/** Options of {@link fileCheckpoint}. */
export interface FileCheckpointOptions {
  /** fsync the file and its directory on every save (durable across power loss, not only crashes). @default true */
  fsync?: boolean;
}

/**
 * Saves to one file are queued here, per real path (directory symlinks resolved) and for
 * the whole process, so two stores on one file (two clients, a store created twice, or
 * reached through a symlinked directory) never interleave their read-modify-write
 * cycles. An entry lives only while operations are queued.
 */
const queues = new Map<string, Promise<unknown>>();

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
 * Saves to one path are serialized across every store of the process. One process
 * per file: two processes writing one file can lose each other's updates.
 * `load` and `save` reject with `CHECKPOINT_FAILED` (I/O error; a missing file loads as
 * no checkpoint) or `CHECKPOINT_CORRUPT` (the file is not valid JSON of positions).
 */
export function fileCheckpoint(path: string, options: FileCheckpointOptions = {}): CheckpointStore {
  const fsync = options.fsync ?? true;
  const resolved = resolve(path);
  // The queue key: the directory's real path + the file name, so two spellings of one file
  // through a symlinked directory (a release link, /var/lib/app -> /data/app) share a
  // queue. Resolved once, by the first save (every save waits for it, in call order); a
  // directory that does not exist yet is resolved again by the next save.
  let realKey: Promise<string> | null = null;
  const queueKey = (): Promise<string> => {
    if (!realKey) {
      const pending = realpath(dirname(resolved)).then(
        (dir) => join(dir, basename(resolved)),
        () => {
          realKey = null;
          return resolved;
        },
      );
      realKey = pending;
    }
    return realKey;
  };

  // Channel names are arbitrary strings, including `__proto__` and `constructor`:
  // positions live in a Map, never in a plain object's (inherited) properties.
  async function readAll(): Promise<Map<string, Position>> {
    let text: string;
    try {
      text = await readFile(resolved, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw new LifelineNodeError('CHECKPOINT_FAILED', `cannot read checkpoint file ${path}`, { cause: error });
    }
    try {
      // JSON.parse makes every key an own property, `__proto__` included.
      const parsed = JSON.parse(text) as FileContent;
      const channels = new Map<string, Position>();
      for (const [name, pos] of Object.entries(parsed.channels ?? {})) {
        channels.set(name, parsePosition(pos, `${path} channel ${name}`));
      }
      return channels;
    } catch (error) {
      throw new LifelineNodeError('CHECKPOINT_CORRUPT', `checkpoint file ${path} is not valid`, { cause: error });
    }
  }

  async function writeAll(key: string, channels: Map<string, Position>): Promise<void> {
    // Unique per write, not per store: two stores on one path must never share a temp file.
    const tmp = join(dirname(key), `.${basename(key)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    // A null-prototype object: assigning `__proto__` creates an own key (which
    // JSON.stringify writes) instead of calling Object.prototype's setter.
    const record: Record<string, Position> = Object.create(null);
    for (const [name, pos] of channels) record[name] = pos;
    const body = JSON.stringify({ version: 1, channels: record } satisfies FileContent);
    try {
      const file = await open(tmp, 'w', 0o644);
      try {
        await file.writeFile(body, 'utf8');
        if (fsync) await file.sync();
      } finally {
        await file.close();
      }
      await rename(tmp, key);
      if (fsync) await syncDirectory(dirname(key));
    } catch (error) {
      await unlink(tmp).catch(() => {});
      throw new LifelineNodeError('CHECKPOINT_FAILED', `cannot write checkpoint file ${path}`, { cause: error });
    }
  }

  return {
    async load(channel) {
      const all = await readAll();
      return all.get(channel) ?? null;
    },
    save(channel, position) {
      // Read-modify-write from the file itself, not from a per-store cache: another
      // store of this process on the same path may have written since (its channels
      // must survive this write). The read costs little next to the fsyncs.
      return queueKey().then((key) =>
        serialized(key, async () => {
          const all = await readAll();
          all.set(channel, { offset: position.offset, epoch: position.epoch });
          await writeAll(key, all);
        }),
      );
    },
  };
}

async function syncDirectory(dir: string): Promise<void> {
  // Makes the rename itself durable. Some platforms cannot open a directory: best effort there.
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // EISDIR/EPERM on platforms without directory fsync; the rename is still atomic.
  } finally {
    await handle?.close();
  }
}
