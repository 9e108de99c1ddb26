import { open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
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
 * A checkpoint store in one JSON file (all channels of the process). Every save
 * writes a temporary file next to it, fsyncs it, renames it over the target and
 * fsyncs the directory, so a crash at any instant leaves either the old or the new
 * file, never a torn one. Saves are serialized.
 */
export function fileCheckpoint(path: string, options: FileCheckpointOptions = {}): CheckpointStore {
  const fsync = options.fsync ?? true;
  let cache: Record<string, Position> | null = null;
  let chain: Promise<unknown> = Promise.resolve();
  let counter = 0;

  async function readAll(): Promise<Record<string, Position>> {
    if (cache) return cache;
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return (cache = {});
      throw new LifelineNodeError('CHECKPOINT_FAILED', `cannot read checkpoint file ${path}`, { cause: error });
    }
    try {
      const parsed = JSON.parse(text) as FileContent;
      const channels: Record<string, Position> = {};
      for (const [name, pos] of Object.entries(parsed.channels ?? {})) {
        channels[name] = parsePosition(pos, `${path} channel ${name}`);
      }
      return (cache = channels);
    } catch (error) {
      throw new LifelineNodeError('CHECKPOINT_CORRUPT', `checkpoint file ${path} is not valid`, { cause: error });
    }
  }

  async function writeAll(channels: Record<string, Position>): Promise<void> {
    const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${++counter}.tmp`);
    const body = JSON.stringify({ version: 1, channels } satisfies FileContent);
    try {
      const file = await open(tmp, 'w', 0o644);
      try {
        await file.writeFile(body, 'utf8');
        if (fsync) await file.sync();
      } finally {
        await file.close();
      }
      await rename(tmp, path);
      if (fsync) await syncDirectory(dirname(path));
    } catch (error) {
      await unlink(tmp).catch(() => {});
      throw new LifelineNodeError('CHECKPOINT_FAILED', `cannot write checkpoint file ${path}`, { cause: error });
    }
  }

  return {
    async load(channel) {
      const all = await readAll();
      return all[channel] ?? null;
    },
    save(channel, position) {
      const run = chain.then(async () => {
        const all = { ...(await readAll()), [channel]: { offset: position.offset, epoch: position.epoch } };
        await writeAll(all);
        cache = all;
      });
      chain = run.catch(() => {});
      return run;
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
