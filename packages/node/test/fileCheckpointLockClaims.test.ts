// The claims a takeover makes on a stale lock file (`<path>.lock.<key>.<n>.claim`): of all the
// processes that found one stale lock, the one that creates its claim changes it. A claim
// whose process died half-way is passed over; a live one is waited for; a release does not
// remove its lock file while another process holds a claim on it; claims on a lock file that
// left the path are swept. A lock file written by the earlier layout is taken over the same way.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { fileCheckpoint, isLifelineNodeError } from '../src/index';
import { claimPathOf } from '../src/checkpoint/lockClaim';
import { generationKey, readLockFile } from '../src/checkpoint/lockFiles';
import { ownIdentity } from '../src/checkpoint/lockHolder';
import { removeStaleTempFiles, STALE_TEMP_MS } from '../src/checkpoint/staleTempFiles';

let root: string;
const children = new Set<ChildProcess>();
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'lifeline-lockclaims-'));
});
afterEach(() => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** A process of this host that has exited: its PID runs nothing (or nothing of its start time). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

/** A process of this host that keeps running until the test ends. */
function livePid(): number {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  children.add(child);
  return child.pid!;
}

/** A lock record of `pid` on this host, as this version and the earlier one write it. */
const recordOf = (pid: number, token: string) => {
  const { bootId, pidNamespace } = ownIdentity();
  const at = new Date(Date.now() - 3_600_000).toISOString();
  return `${JSON.stringify({ pid, hostname: hostname(), startedAt: at, acquiredAt: at, ...(bootId ? { bootId } : {}), ...(pidNamespace ? { pidNamespace } : {}), token })}\n`;
};

/** Files next to `name` other than it and its lock file. */
const leftovers = async (name: string) => (await readdir(root)).filter((n) => n.includes(name) && n !== name && n !== `${name}.lock`);

function captureWarnings() {
  const warnings: Error[] = [];
  const onWarning = (w: Error & { code?: string }) => {
    if (w.code === 'LIFELINE_STALE_CHECKPOINT_LOCK') warnings.push(w);
  };
  process.on('warning', onWarning);
  return { warnings, stop: () => process.off('warning', onWarning) };
}

describe('fileCheckpoint lock claims', () => {
  it('a lock file written by the earlier layout, its holder dead: taken over with one warning, no claim left behind', async () => {
    const path = join(root, 'earlier.json');
    const pid = await deadPid();
    await writeFile(`${path}.lock`, recordOf(pid, '0123456789abcdef'));
    const seen = captureWarnings();
    const store = fileCheckpoint(path, { fsync: false });
    try {
      await store.save('orders', { offset: 3, epoch: 'e1' });
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
    } finally {
      seen.stop();
    }
    expect(seen.warnings).toHaveLength(1);
    expect(seen.warnings[0]!.message).toContain(`pid ${pid}`);
    expect(JSON.parse(await readFile(`${path}.lock`, 'utf8'))).toMatchObject({ pid: process.pid });
    expect(await leftovers('earlier.json')).toEqual([]);
    await store.close!();
  });

  it('a claim left by a taker that died half-way is passed over: the next claim takes the stale lock', async () => {
    const path = join(root, 'dead-claim.json');
    await writeFile(`${path}.lock`, recordOf(await deadPid(), 'gone0000gone0000'));
    const key = generationKey((await readLockFile(`${path}.lock`))!);
    await writeFile(claimPathOf(`${path}.lock`, key, 0), recordOf(await deadPid(), 'taker000taker000'));
    const seen = captureWarnings();
    const store = fileCheckpoint(path, { fsync: false });
    try {
      expect(await store.load('orders')).toBeNull();
    } finally {
      seen.stop();
    }
    expect(JSON.parse(await readFile(`${path}.lock`, 'utf8'))).toMatchObject({ pid: process.pid });
    // That lock file left the path: its claims (the dead one's too) are gone with it.
    expect(await leftovers('dead-claim.json')).toEqual([]);
    await store.close!();
  });

  it('a claim of a live process (taking the stale lock over right now) is waited for, then refused with CHECKPOINT_LOCKED naming it; the lock file untouched', async () => {
    const path = join(root, 'live-claim.json');
    const stale = recordOf(await deadPid(), 'gone1111gone1111');
    await writeFile(`${path}.lock`, stale);
    const key = generationKey((await readLockFile(`${path}.lock`))!);
    const claimer = livePid();
    await writeFile(claimPathOf(`${path}.lock`, key, 0), recordOf(claimer, 'taker111taker111'));
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    try {
      let settled = false;
      const loading = fileCheckpoint(path, { fsync: false })
        .load('orders')
        .catch((e: unknown) => e)
        .finally(() => (settled = true));
      // The retries wait on the fake clock: 2 s of them, then the refusal.
      while (!settled) {
        await new Promise((resolve) => setImmediate(resolve));
        if (vi.getTimerCount() > 0) await vi.advanceTimersByTimeAsync(20);
      }
      const error = await loading;
      expect(isLifelineNodeError(error, 'CHECKPOINT_LOCKED')).toBe(true);
      expect((error as Error).message).toContain(`pid ${claimer}`);
    } finally {
      vi.useRealTimers();
    }
    expect(await readFile(`${path}.lock`, 'utf8')).toBe(stale);
    expect(await leftovers('live-claim.json')).toEqual([`live-claim.json.lock.${key}.0.claim`]);
  });

  it("a release while another process holds a claim on this process's lock file (it took this one for gone) leaves the file to that taker", async () => {
    const path = join(root, 'claimed-release.json');
    const store = fileCheckpoint(path, { fsync: false });
    await store.save('orders', { offset: 1, epoch: 'e1' });
    const ours = await readFile(`${path}.lock`, 'utf8');
    const key = generationKey((await readLockFile(`${path}.lock`))!);
    await writeFile(claimPathOf(`${path}.lock`, key, 0), recordOf(livePid(), 'taker222taker222'));
    await store.close!();
    // Removed now, the taker's new lock could be the one removed (it checked this file before the removal).
    expect(await readFile(`${path}.lock`, 'utf8')).toBe(ours);
  });

  it('the sweep removes old claims on a lock file that left the path, never those on the lock file there', async () => {
    const path = join(root, 'sweep.json');
    await writeFile(`${path}.lock`, recordOf(await deadPid(), 'here3333here3333'));
    const key = generationKey((await readLockFile(`${path}.lock`))!);
    const mine = claimPathOf(`${path}.lock`, key, 0);
    const departed = claimPathOf(`${path}.lock`, '0123456789abcdef', 0);
    const recent = claimPathOf(`${path}.lock`, 'fedcba9876543210', 1);
    for (const p of [mine, departed, recent]) await writeFile(p, recordOf(await deadPid(), 'x'));
    const old = new Date(Date.now() - STALE_TEMP_MS - 5_000);
    await utimes(mine, old, old);
    await utimes(departed, old, old);
    expect(await removeStaleTempFiles(path)).toBe(1);
    const names = await readdir(root);
    expect(names).toContain(`sweep.json.lock.${key}.0.claim`);
    expect(names).toContain('sweep.json.lock.fedcba9876543210.1.claim');
    expect(names).not.toContain('sweep.json.lock.0123456789abcdef.0.claim');
  });
});
