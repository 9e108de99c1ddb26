import { readlink, realpath } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

/** Links followed by hand (a dangling chain) before giving up, like the kernel's ELOOP limit. */
const MAX_LINKS = 40;

/**
 * The file a save replaces: `path` with every symlink resolved — of its directories and
 * of the file itself. Renaming the new content over a symlinked checkpoint file replaced
 * the link with a regular file (the link's target, often on another volume, kept the old
 * positions and was read by nobody). A link whose target does not exist yet is followed
 * too (the first save creates the target). Read at every save: a link may be re-pointed.
 * Rejects with the file system's error (ELOOP, EACCES…); a missing directory is not an
 * error here (the write reports it).
 */
export async function saveTarget(path: string): Promise<string> {
  let current = resolve(path);
  for (let links = 0; ; links += 1) {
    try {
      return await realpath(current);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    // Nothing at `current` (no file yet), or a link to nothing: follow that link by hand.
    let link: string;
    try {
      link = await readlink(current);
    } catch {
      break; // not a link (EINVAL) or nothing there (ENOENT): `current` is the file to create
    }
    if (links >= MAX_LINKS) throw Object.assign(new Error(`too many symbolic links: ${path}`), { code: 'ELOOP' });
    current = resolve(dirname(current), link);
  }
  try {
    return join(await realpath(dirname(current)), basename(current));
  } catch {
    return current;
  }
}
