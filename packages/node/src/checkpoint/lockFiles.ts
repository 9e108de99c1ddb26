import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { parseLockRecord } from './lockHolder';

/** A lock (or claim) file as read: its text and the identity and time of the file it came from. */
export interface FoundLock {
  text: string;
  mtimeMs: number;
  ino: number;
  dev: number;
}

/**
 * The file's text, modification time and identity, of one and the same file (read through one
 * handle: a path read twice can name two files in a takeover), and fresh on NFS (an open
 * revalidates the attributes a bare stat may answer from its cache). Null when there is none.
 */
export async function readLockFile(path: string): Promise<FoundLock | null> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    const [text, info] = await Promise.all([handle.readFile('utf8'), handle.stat()]);
    return { text, mtimeMs: info.mtimeMs, ino: info.ino, dev: info.dev };
  } finally {
    await handle.close().catch(() => {});
  }
}

/** Whether `a` and `b` are the same file with the same text (the same holder's lock, renewed or not). */
export const sameLock = (a: FoundLock | null, b: FoundLock): boolean => a !== null && a.ino === b.ino && a.dev === b.dev && a.text === b.text;

/**
 * Names one lock file for good: its file and its text (the holder's token and time). A lock
 * file that left the path never comes back to it (nothing moves one aside and back any more),
 * so claims on a key that is no longer at the path are nobody's business. An unreadable one
 * (empty, torn) by its file alone: two readers that caught a slow write at different moments
 * must contend for the same claims. 16 hex digits.
 */
export function generationKey(lock: FoundLock): string {
  const text = parseLockRecord(lock.text) === null ? '' : lock.text;
  return createHash('sha256').update(`${lock.dev}:${lock.ino}:${text}`).digest('hex').slice(0, 16);
}
