import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fileCheckpoint, isLifelineNodeError } from '../src/index';
import { holderIsGone, LOCK_LEASE_MS, LOCK_REFRESH_MS, ownIdentity, parseLockRecord, type LockRecord } from '../src/checkpoint/lockHolder';
import { waitFor } from './fixtures/fakeChannel';

// Which lock holders count as gone (their lock is taken over) and which as alive (refused).
// Taking a live lock is the corruption the lock exists to prevent, so a holder whose PID this
// host cannot check (another host, container or boot) counts as alive while it renews its
// lease; a crashed one, or a restarted container that got the same PID, must not leave a
// lock nobody can take.

let deadPid: number;
let root: string;

beforeAll(async () => {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  deadPid = child.pid!;
  root = await mkdtemp(join(tmpdir(), 'lifeline-lockholder-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

const self = ownIdentity();
const record = (over: Partial<LockRecord>): LockRecord => ({
  ...self,
  acquiredAt: new Date().toISOString(),
  token: 'someone-else',
  ...over,
});
const hourEarlier = new Date(Date.parse(self.startedAt) - 3_600_000).toISOString();

const fresh = Date.now();
const expired = Date.now() - LOCK_LEASE_MS - 1_000;

describe('holderIsGone', () => {
  it('a dead PID on this host: gone at once', () => {
    expect(holderIsGone(record({ pid: deadPid, startTicks: undefined }), fresh)).toBe(true);
  });

  it('another host: alive while its lease is fresh (this host cannot check its PID), gone once it expired', () => {
    expect(holderIsGone(record({ pid: deadPid, hostname: `not-${hostname()}` }), fresh)).toBe(false);
    expect(holderIsGone(record({ pid: deadPid, hostname: `not-${hostname()}` }), expired)).toBe(true);
  });

  it.runIf(self.pidNamespace !== undefined)('another PID namespace with this hostname (containers sharing a volume): its PID is not checked here, only its lease', () => {
    expect(holderIsGone(record({ pid: deadPid, pidNamespace: 'pid:[1]' }), fresh)).toBe(false);
    expect(holderIsGone(record({ pid: deadPid, pidNamespace: 'pid:[1]' }), expired)).toBe(true);
  });

  it.runIf(self.bootId !== undefined)('another boot id (a rebooted host, or another machine with this name): only its lease', () => {
    expect(holderIsGone(record({ pid: process.pid, bootId: 'another-boot' }), fresh)).toBe(false);
    expect(holderIsGone(record({ pid: process.pid, bootId: 'another-boot' }), expired)).toBe(true);
  });

  it('a live PID with its own start time: alive, even with an old lock file (same host: the PID decides)', () => {
    expect(holderIsGone(record({ pid: process.pid }), expired)).toBe(false);
  });

  it("this process's PID from an earlier process (a restarted container's PID 1): gone at once", () => {
    const earlier = record({ pid: process.pid, startedAt: hourEarlier });
    if (earlier.startTicks !== undefined) earlier.startTicks -= 360_000;
    expect(holderIsGone(earlier, fresh)).toBe(true);
  });

  it.runIf(self.startTicks !== undefined)('a killed holder its parent has not reaped yet (a zombie: kill(pid, 0) still answers, Linux): gone', async () => {
    // `sh` starts `sleep 1`, then becomes `sleep 10`, which never waits for it: a zombie once
    // it ends. (With `sleep 0` a loaded machine let `sh` reap it before its exec: no zombie.)
    const parent = spawn('sh', ['-c', 'sleep 1 & echo $!; exec sleep 10'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const zombie = Number((await new Promise<string>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(String(d))))).trim());
      await waitFor(async () => (await readFile(`/proc/${zombie}/stat`, 'utf8')).includes(') Z '), 5_000, 'the zombie');
      expect(holderIsGone(record({ pid: zombie, startTicks: undefined }), fresh)).toBe(true);
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it.runIf(self.startTicks !== undefined)('a live PID reused by another process (start time differs, Linux): gone at once', () => {
    expect(holderIsGone(record({ pid: process.ppid, startTicks: -1 }), fresh)).toBe(true);
  });
});

describe('parseLockRecord', () => {
  it.each([0, -1])('a PID of %i (a process group: kill(pid, 0) always answers) makes the lock unreadable, not alive for good', (pid) => {
    const record = { ...ownIdentity(), pid, acquiredAt: new Date().toISOString(), token: 't' };
    expect(parseLockRecord(JSON.stringify(record))).toBeNull();
    expect(parseLockRecord(JSON.stringify({ ...record, pid: 4242 }))).not.toBeNull();
  });
});

describe('fileCheckpoint with a lock file left by a holder', () => {
  it('on another host: refused with CHECKPOINT_LOCKED telling to delete the lock file if that process is gone', async () => {
    const path = join(root, 'remote.json');
    await writeFile(`${path}.lock`, JSON.stringify(record({ pid: deadPid, hostname: 'worker-7' })));
    const error = await fileCheckpoint(path).load('orders').catch((e: unknown) => e);
    expect(isLifelineNodeError(error, 'CHECKPOINT_LOCKED')).toBe(true);
    expect((error as Error).message).toContain(`pid ${deadPid} on worker-7`);
    expect((error as Error).message).toContain('delete the lock file');
  });

  it('on another host, not refreshed for longer than the lease: taken over with a warning', async () => {
    const path = join(root, 'remote-expired.json');
    await writeFile(`${path}.lock`, JSON.stringify(record({ pid: deadPid, hostname: 'worker-8' })));
    const old = new Date(expired);
    await utimes(`${path}.lock`, old, old);
    const warnings: Array<Error & { code?: string }> = [];
    const onWarning = (w: Error & { code?: string }) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const store = fileCheckpoint(path, { fsync: false });
      expect(await store.load('orders')).toBeNull();
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.map((w) => w.code)).toEqual(['LIFELINE_STALE_CHECKPOINT_LOCK']);
      expect(warnings[0]!.message).toContain('on worker-8');
      expect(JSON.parse(await readFile(`${path}.lock`, 'utf8'))).toMatchObject({ pid: process.pid });
      await store.close!();
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('a holder renews its lease: the lock file is touched every LOCK_REFRESH_MS while held', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const path = join(root, 'lease.json');
      const store = fileCheckpoint(path, { fsync: false });
      await store.load('orders');
      const old = new Date(expired);
      await utimes(`${path}.lock`, old, old);
      await vi.advanceTimersByTimeAsync(LOCK_REFRESH_MS);
      await waitFor(async () => (await stat(`${path}.lock`)).mtimeMs > Date.now() - LOCK_LEASE_MS, 5_000, 'the lease renewed');
      await store.close!();
      expect(vi.getTimerCount()).toBe(0); // released: no timer left
    } finally {
      vi.useRealTimers();
    }
  });

  it('of an earlier process with this PID: taken over', async () => {
    const path = join(root, 'restarted.json');
    const earlier = record({ pid: process.pid, startedAt: hourEarlier });
    if (earlier.startTicks !== undefined) earlier.startTicks -= 360_000;
    await writeFile(`${path}.lock`, JSON.stringify(earlier));
    const store = fileCheckpoint(path, { fsync: false });
    await store.save('orders', { offset: 1, epoch: 'e1' });
    expect(JSON.parse(await readFile(`${path}.lock`, 'utf8'))).toMatchObject({ pid: process.pid, startedAt: self.startedAt });
    await store.close!();
  });

  it('empty (its writer died between creating and writing it) and older than 2 s: taken over', async () => {
    const path = join(root, 'torn.json');
    await writeFile(`${path}.lock`, '');
    const old = new Date(Date.now() - 10_000);
    await utimes(`${path}.lock`, old, old);
    const store = fileCheckpoint(path, { fsync: false });
    expect(await store.load('orders')).toBeNull();
    expect(JSON.parse(await readFile(`${path}.lock`, 'utf8'))).toMatchObject({ pid: process.pid });
    await store.close!();
  });
});
