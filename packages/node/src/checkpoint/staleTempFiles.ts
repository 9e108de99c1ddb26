import { randomBytes } from 'node:crypto';
import { lstat, readdir, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { generationKey, readLockFile } from './lockFiles';
import { processRuns } from './processRuns';

/**
 * A temporary file is a leftover only once untouched this long. A save holds its file for
 * milliseconds; a writer whose PID this process cannot see (another PID namespace: a
 * container sharing the volume) must not lose its file mid-write.
 */
export const STALE_TEMP_MS = 60_000;

/** Temporary files this process is writing: never leftovers, however slow the write. */
const writing = new Set<string>();

/**
 * A temporary file next to `target`, unique per write (two stores on one file must never
 * share one): `.<name>.<pid>.<12 hex>.tmp`. The PID tells a later process whose it was.
 * Call the returned `done` once it is renamed or removed.
 */
export function tempFileFor(target: string): { path: string; done: () => void } {
  const path = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  writing.add(path);
  return { path, done: () => writing.delete(path) };
}

/**
 * Removes the temporary files a save of `target` left behind when its process died between
 * creating and renaming it (`kill -9`, OOM kill, power loss): `.<name>.<pid>.<12 hex>.tmp`
 * next to `target` (and `<name>.lock.<pid>.<12 hex>.stale`, a lock taken over by a process
 * that died before removing it), not being written by this process, last modified over
 * {@link STALE_TEMP_MS} ago, and whose PID is no running process — or is this process's
 * own PID (a restarted container's PID 1 reuses it). Also the claims of a takeover killed
 * half-way (`<name>.lock.<16 hex>.<n>.claim`), untouched as long and on a lock file no longer
 * at the lock path (a claim on the lock file still there is part of its takeover: see
 * lockClaim). Other files are never touched. Best effort: a file that cannot be read or
 * removed is left. Resolves with the number removed.
 */
export async function removeStaleTempFiles(target: string, now = Date.now()): Promise<number> {
  const dir = dirname(target);
  const prefix = `.${basename(target)}.`;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  // Earlier releases of this package moved a stale lock aside to `<name>.lock.<pid>.<12 hex>.stale`
  // and removed it at once; a takeover killed in between left it for good. Claims are this
  // release's (see lockClaim).
  const aside = `${basename(target)}.lock.`;
  let removed = 0;
  /** The key of the lock file at the lock path now (read once, when a claim is found): its claims stay. Unknown (unreadable): all stay. */
  let current: Promise<string | null | undefined> | undefined;
  for (const name of names) {
    const claim = name.startsWith(aside) ? /^([0-9a-f]{16})\.\d+\.claim$/.exec(name.slice(aside.length)) : null;
    if (claim) {
      current ??= readLockFile(join(dir, `${basename(target)}.lock`)).then(
        (lock) => (lock ? generationKey(lock) : null),
        () => undefined,
      );
      const key = await current;
      if (key !== undefined && key !== claim[1] && (await removeIfOld(join(dir, name), now))) removed += 1;
      continue;
    }
    const match = name.startsWith(prefix)
      ? /^(\d+)\.[0-9a-f]{12}\.tmp$/.exec(name.slice(prefix.length))
      : name.startsWith(aside)
        ? /^(\d+)\.[0-9a-f]{12}\.stale$/.exec(name.slice(aside.length))
        : null;
    if (!match) continue;
    const path = join(dir, name);
    const pid = Number(match[1]);
    if (writing.has(path) || (pid !== process.pid && processRuns(pid))) continue;
    try {
      const info = await lstat(path);
      if (!info.isFile() || now - info.mtimeMs < STALE_TEMP_MS) continue;
      await unlink(path);
      removed += 1;
    } catch {
      // Removed meanwhile, or not ours to remove.
    }
  }
  return removed;
}


/** Removes `path` when it is a file untouched for {@link STALE_TEMP_MS}; false when kept or not removable. */
async function removeIfOld(path: string, now: number): Promise<boolean> {
  try {
    const info = await lstat(path);
    if (!info.isFile() || now - info.mtimeMs < STALE_TEMP_MS) return false;
    await unlink(path);
    return true;
  } catch {
    return false;
  }
}
