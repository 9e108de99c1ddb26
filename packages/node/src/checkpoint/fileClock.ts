import { stat, unlink, writeFile } from 'node:fs/promises';
import { tempFileFor } from './staleTempFiles';

/**
 * The file system's clock now, next to `target`: the modification time of a file created
 * there (a temporary file the stale-file sweep also knows). A lease is judged on it, not on
 * `Date.now()`: a holder on another host stamps its lock file with the file system's time,
 * and a reader whose own clock runs 30 s ahead of it took every live holder for dead. Falls
 * back to `Date.now()` where nothing can be created (a read-only directory: nothing to take).
 */
export async function fileClockNow(target: string): Promise<number> {
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
