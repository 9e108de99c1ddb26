import { constants } from 'node:fs';
import { open, unlink, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { StormError } from '../errors';

/** A file the CLI writes the result to (`--json`, `--report`), its path made absolute. */
export interface OutputFile {
  flag: '--json' | '--report';
  /** How stderr names it: `JSON written to …`. */
  what: 'JSON' | 'report';
  path: string;
}

/**
 * Checks, before anything starts, that every output file can be written, so a typo in a
 * directory or a read-only location is a usage error now instead of an exception after
 * a run of minutes. The file is opened the way the result will be written (created if
 * missing; an existing one is not truncated), then closed; a file this check created is
 * removed again, so a run that fails leaves nothing behind, and an existing file keeps
 * its content until the result replaces it.
 */
export async function checkOutputs(files: readonly OutputFile[]): Promise<void> {
  const paths = new Map<string, string>();
  for (const f of files) {
    const other = paths.get(f.path);
    if (other) throw new StormError('BAD_OPTION', `${other} and ${f.flag} name the same file (${f.path}): one would overwrite the other`);
    paths.set(f.path, f.flag);
    await probe(f);
  }
}

async function probe(f: OutputFile): Promise<void> {
  let created = true;
  let handle;
  try {
    // O_EXCL first: tells a file this check creates (removed again) from one that was there.
    handle = await open(f.path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw cannotWrite(f, e, 'BAD_OPTION');
    created = false;
    try {
      // No O_TRUNC: the old content stays until the run is done. O_NONBLOCK: a FIFO nobody
      // reads fails (ENXIO) instead of blocking the check.
      handle = await open(f.path, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch (e2) {
      throw cannotWrite(f, e2, 'BAD_OPTION');
    }
  }
  await handle.close();
  if (created) await unlink(f.path).catch(() => {});
}

/**
 * Writes each file and says where on stderr. A file that cannot be written (the directory
 * removed or made read-only during the run, a full disk) does not lose the run: its
 * content goes to stdout instead, and the failure comes back as an `OUTPUT_FAILED`
 * StormError (the other files are still written).
 */
export async function writeOutputs(files: readonly (OutputFile & { text: string })[]): Promise<StormError[]> {
  const failures: StormError[] = [];
  for (const f of files) {
    try {
      await writeFile(f.path, f.text);
      process.stderr.write(`${f.what} written to ${f.path}\n`);
    } catch (e) {
      const err = cannotWrite(f, e, 'OUTPUT_FAILED');
      failures.push(err);
      process.stderr.write(`lifeline-storm: ${err.message}; the ${f.what} follows on stdout [${err.code}]\n`);
      process.stdout.write(f.text.endsWith('\n') ? f.text : `${f.text}\n`);
    }
  }
  return failures;
}

const REASONS: Record<string, string> = {
  ENOENT: 'its directory does not exist',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'it is a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  ENXIO: 'nothing is reading that pipe',
};

function cannotWrite(f: OutputFile, cause: unknown, code: 'BAD_OPTION' | 'OUTPUT_FAILED'): StormError {
  const errno = (cause as NodeJS.ErrnoException).code;
  const why = errno ? `${errno}${REASONS[errno] ? `: ${REASONS[errno]}` : ''}` : (cause as Error).message;
  return new StormError(code, `${f.flag}: cannot write ${f.path} (${why})`, { cause });
}

/** The output files a command asks for, with absolute paths (relative ones resolve against the current directory). */
export function outputFiles(c: { json?: string; report?: string }): OutputFile[] {
  const out: OutputFile[] = [];
  if (c.json !== undefined) out.push({ flag: '--json', what: 'JSON', path: resolve(c.json) });
  if (c.report !== undefined) out.push({ flag: '--report', what: 'report', path: resolve(c.report) });
  return out;
}
