import { link, open, stat, unlink, writeFile } from 'node:fs/promises';
import { tempFileFor } from './staleTempFiles';

/**
 * What `link()` fails with on a file system without hard links (FAT/exFAT, some SMB and FUSE
 * mounts): there the file is created with `O_EXCL` and written afterwards instead.
 */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/**
 * Creates `path` with `text` unless something is there already (`'exists'`, nothing
 * created), complete from its first instant: the text is written to a temporary file next to
 * `target` and hard-linked to `path` (`link()` never replaces a name, and is atomic on NFS
 * too), so no reader ever finds it empty or half written. Where hard links are unsupported it
 * falls back to an `O_EXCL` create and a write (a reader may then see it empty for a moment).
 * Resolves with the created file's identity. Rejects with the file system's error otherwise
 * (a read-only directory, no directory).
 */
export async function createComplete(path: string, text: string, target: string): Promise<{ ino: number; dev: number } | 'exists'> {
  const temp = tempFileFor(target);
  try {
    await writeFile(temp.path, text, { mode: 0o644 });
    const made = await stat(temp.path);
    try {
      await link(temp.path, path);
      return { ino: made.ino, dev: made.dev };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      if (code === 'EEXIST') return 'exists';
      if (!NO_HARD_LINKS.has(code)) throw error;
    }
  } finally {
    await unlink(temp.path).catch(() => {});
    temp.done();
  }
  return createWithOpen(path, text);
}

async function createWithOpen(path: string, text: string): Promise<{ ino: number; dev: number } | 'exists'> {
  let handle;
  try {
    handle = await open(path, 'wx', 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return 'exists';
    throw error;
  }
  try {
    await handle.writeFile(text, 'utf8');
    const made = await handle.stat();
    return { ino: made.ino, dev: made.dev };
  } catch (error) {
    await unlink(path).catch(() => {});
    throw error;
  } finally {
    await handle.close().catch(() => {});
  }
}
