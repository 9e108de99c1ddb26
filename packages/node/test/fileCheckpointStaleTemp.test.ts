// A save writes `.<name>.<pid>.<random>.tmp` next to the checkpoint and renames it over
// the file. A process killed between the two (kill -9, OOM kill, power loss) left that
// file behind for good, one more per such crash. A store now removes the leftovers of
// its file when it first loads or saves — never a file another live process (or this
// one) may still be writing.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fileCheckpoint } from '../src/checkpoint/fileCheckpoint';
import { removeStaleTempFiles, STALE_TEMP_MS, tempFileFor } from '../src/checkpoint/staleTempFiles';
import { waitFor } from './fixtures/fakeChannel';

let root: string;
const children = new Set<ChildProcess>();
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'lifeline-ckpt-tmp-'));
});
afterEach(() => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/**
 * A process that starts a save the way fileCheckpoint does — creates its temporary file
 * next to `target` — and stays in the middle of it. Resolves with it and that file's name.
 */
async function writerMidSave(target: string): Promise<{ child: ChildProcess; name: string; exited: Promise<unknown> }> {
  const script = `
    const { writeFileSync } = require('node:fs');
    const { basename, dirname, join } = require('node:path');
    const target = process.argv[1];
    const name = '.' + basename(target) + '.' + process.pid + '.0123456789ab.tmp';
    writeFileSync(join(dirname(target), name), '{"version":1,"chan');
    process.stdout.write(name + '\\n');
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['-e', script, target], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  await waitFor(() => out.endsWith('\n'), 10_000, 'the writer to create its temporary file');
  return { child, name: out.trim(), exited };
}

/** Sets a file's modification time `ms` into the past. */
async function age(path: string, ms: number): Promise<void> {
  const when = (Date.now() - ms) / 1000;
  await utimes(path, when, when);
}

const OLD = STALE_TEMP_MS + 60_000;

async function scene(name: string) {
  const dir = await mkdtemp(join(root, `${name}-`));
  const target = join(dir, 'cp.json');
  await writeFile(target, JSON.stringify({ version: 1, channels: { orders: { offset: 5, epoch: 'e1' } } }));
  // Killed mid-save (kill -9), over a minute ago.
  const killed = await writerMidSave(target);
  killed.child.kill('SIGKILL');
  await killed.exited;
  await age(join(dir, killed.name), OLD);
  // This process's own PID on an old file: a restarted container's PID 1 reuses it.
  const reused = `.cp.json.${process.pid}.aaaaaaaaaaaa.tmp`;
  await writeFile(join(dir, reused), '{');
  await age(join(dir, reused), OLD);
  // Still running (a second process on the file, or one slow to write): kept, however old.
  const live = await writerMidSave(target);
  await age(join(dir, live.name), OLD);
  // Its process is gone, but it changed recently: maybe a writer in another PID namespace.
  const recent = `.cp.json.${killed.child.pid}.bbbbbbbbbbbb.tmp`;
  await writeFile(join(dir, recent), '{');
  // Not this checkpoint's: another file's leftover, and names that only look alike.
  const others = [`.other.json.${killed.child.pid}.cccccccccccc.tmp`, '.cp.json.tmp', `.cp.json.${killed.child.pid}.tmp`];
  for (const other of others) {
    await writeFile(join(dir, other), '{');
    await age(join(dir, other), OLD);
  }
  const kept = ['cp.json', live.name, recent, ...others].sort();
  return { dir, target, kept, removed: [killed.name, reused] };
}

describe('fileCheckpoint removes temporary files left by a save that was killed', () => {
  it('on its first load: the stale ones of this file only', async () => {
    const { dir, target, kept, removed } = await scene('load');
    expect((await readdir(dir)).sort()).toEqual([...kept, ...removed].sort());
    expect(await fileCheckpoint(target).load('orders')).toEqual({ offset: 5, epoch: 'e1' });
    expect((await readdir(dir)).sort()).toEqual([...kept, 'cp.json.lock'].sort());
  });

  it('on its first save, also through a symlinked file (next to the target)', async () => {
    const { dir, target, kept } = await scene('save');
    const linkDir = await mkdtemp(join(root, 'link-'));
    await symlink(target, join(linkDir, 'cp.json'));
    await fileCheckpoint(join(linkDir, 'cp.json'), { fsync: false }).save('orders', { offset: 6, epoch: 'e1' });
    expect((await readdir(dir)).sort()).toEqual([...kept, 'cp.json.lock'].sort());
    expect(await fileCheckpoint(target).load('orders')).toEqual({ offset: 6, epoch: 'e1' });
  });

  it('never a temporary file this process is writing, however old', async () => {
    const dir = await mkdtemp(join(root, 'own-'));
    const target = join(dir, 'cp.json');
    const tmp = tempFileFor(target);
    try {
      await writeFile(tmp.path, '{');
      await age(tmp.path, OLD);
      expect(await removeStaleTempFiles(target)).toBe(0);
      expect(await readdir(dir)).toHaveLength(1);
    } finally {
      tmp.done();
    }
    expect(await removeStaleTempFiles(target)).toBe(1);
  });

  it('also a stale lock a takeover moved aside and was killed before removing: only a dead (or own) PID\'s, untouched a minute', async () => {
    const dir = await mkdtemp(join(root, 'aside-'));
    const target = join(dir, 'cp.json');
    const dead = await writerMidSave(target);
    dead.child.kill('SIGKILL');
    await dead.exited;
    const live = await writerMidSave(target);
    const names = {
      dead: `cp.json.lock.${dead.child.pid}.0123456789ab.stale`,
      own: `cp.json.lock.${process.pid}.0123456789ab.stale`,
      live: `cp.json.lock.${live.child.pid}.0123456789ab.stale`,
      recent: `cp.json.lock.${dead.child.pid}.ba9876543210.stale`,
      other: `other.json.lock.${dead.child.pid}.0123456789ab.stale`,
    };
    for (const [key, name] of Object.entries(names)) {
      await writeFile(join(dir, name), '{"pid":1}');
      if (key !== 'recent') await age(join(dir, name), OLD);
    }
    await rm(join(dir, dead.name));
    await age(join(dir, live.name), OLD);
    await removeStaleTempFiles(target);
    expect((await readdir(dir)).sort()).toEqual([live.name, names.live, names.recent, names.other].sort());
  });
});
