import { fork, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createNodeClient, fileCheckpoint, isLifelineNodeError, type LifelineNodeError } from '../src/index';
import { bundleFixture } from './fixtures/bundle';

// Two processes on one checkpoint file overwrite each other's positions (one moves it past
// messages the other has not handled: lost on its next restart; or back: duplicates). The
// file store now takes a lock file next to the checkpoint (`<file>.lock`): a second process is
// refused with CHECKPOINT_LOCKED naming the path and the holder; a stale lock (its process
// dead) is taken over with a warning. Real files, real second processes (forked holders).

const asRoot = process.getuid?.() === 0;
let holderScript: string;
let root: string;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  [holderScript, root] = await Promise.all([bundleFixture('lockHolderProcess.ts'), mkdtemp(join(tmpdir(), 'lifeline-lock-'))]);
  chmodSync(root, 0o777); // the read-only case runs its holder as nobody under root
}, 30_000);
afterEach(() => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

type HolderMessage = { held?: true; pid?: number; position?: unknown; saved?: number; closed?: 1; failed?: { code?: string; message?: string } };

/** Forks the holder fixture on `path`; `next()` resolves with its next message. */
function forkHolder(path: string, options: Record<string, unknown> = {}, asNobody = false) {
  const proc = fork(holderScript, [path, JSON.stringify(options)], {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    ...(asNobody ? { uid: 65534, gid: 65534 } : {}),
  });
  children.add(proc);
  const inbox: HolderMessage[] = [];
  const waiting: Array<(m: HolderMessage) => void> = [];
  proc.on('message', (m: HolderMessage) => {
    const w = waiting.shift();
    if (w) w(m);
    else inbox.push(m);
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => (children.delete(proc), resolve(code))));
  const next = (): Promise<HolderMessage> => {
    const m = inbox.shift();
    if (m) return Promise.resolve(m);
    return Promise.race([
      new Promise<HolderMessage>((resolve) => waiting.push(resolve)),
      exited.then((code) => Promise.reject(new Error(`holder exited (${code}) before answering`))),
    ]);
  };
  return { proc, next, exited, send: (m: object) => proc.send(m) };
}

const dirFor = (name: string) => mkdtemp(join(root, `${name}-`));
const lockedError = async (promise: Promise<unknown>): Promise<LifelineNodeError> => {
  const error = await promise.then(
    () => {
      throw new Error('expected CHECKPOINT_LOCKED, it resolved');
    },
    (e: unknown) => e,
  );
  expect(isLifelineNodeError(error, 'CHECKPOINT_LOCKED')).toBe(true);
  return error as LifelineNodeError;
};

describe('fileCheckpoint lock: one process per checkpoint file', () => {
  it('a file held by another live process: load and save are refused with CHECKPOINT_LOCKED naming the path and the holder; nothing written', async () => {
    const dir = await dirFor('held');
    const path = join(dir, 'cp.json');
    const holder = forkHolder(path);
    expect(await holder.next()).toMatchObject({ held: true });
    holder.send({ save: 7 });
    expect(await holder.next()).toEqual({ saved: 7 });
    const before = await readFile(path, 'utf8');

    const store = fileCheckpoint(path, { fsync: false });
    const onLoad = await lockedError(store.load('orders'));
    expect(onLoad.message).toContain(path);
    expect(onLoad.message).toContain(`pid ${holder.proc.pid} on ${hostname()}`);
    expect(onLoad.message).toContain(`${path}.lock`);
    expect(onLoad.channel).toBe('orders');
    expect(onLoad.details).toMatchObject({ path, lockPath: `${path}.lock`, holder: { pid: holder.proc.pid, hostname: hostname() } });
    const onSave = await lockedError(store.save('orders', { offset: 99, epoch: 'e1' }));
    expect(onSave.details).toMatchObject({ holder: { pid: holder.proc.pid } });
    expect(await readFile(path, 'utf8')).toBe(before);
    // The holder is not disturbed by the refused opener.
    holder.send({ save: 8 });
    expect(await holder.next()).toEqual({ saved: 8 });

    // Opting out reads it anyway (and takes no lock).
    expect(await fileCheckpoint(path, { lock: false }).load('orders')).toEqual({ offset: 8, epoch: 'e1' });
  });

  it('{ waitMs } waits while the holder drains: the load resolves only once it released the lock, with its last position', async () => {
    const dir = await dirFor('wait');
    const path = join(dir, 'cp.json');
    const holder = forkHolder(path);
    expect(await holder.next()).toMatchObject({ held: true });
    holder.send({ save: 3 });
    expect(await holder.next()).toEqual({ saved: 3 });

    let settled = false;
    const loading = fileCheckpoint(path, { fsync: false, lock: { waitMs: 20_000, pollMs: 10 } })
      .load('orders')
      .finally(() => (settled = true));
    // The old process still works (and writes) while the new one waits.
    holder.send({ save: 4 });
    expect(await holder.next()).toEqual({ saved: 4 });
    expect(settled).toBe(false);
    holder.send({ exit: 1 }); // its exit hook removes the lock file
    expect(await holder.exited).toBe(0);
    expect(await loading).toEqual({ offset: 4, epoch: 'e1' });
    expect(JSON.parse(await readFile(`${path}.lock`, 'utf8'))).toMatchObject({ pid: process.pid });
  });

  it('{ waitMs } that runs out refuses with CHECKPOINT_LOCKED saying how long it waited', async () => {
    const path = join(await dirFor('waited'), 'cp.json');
    const holder = forkHolder(path);
    expect(await holder.next()).toMatchObject({ held: true });
    const error = await lockedError(fileCheckpoint(path, { lock: { waitMs: 50, pollMs: 10 } }).load('orders'));
    expect(error.message).toContain('waited 50 ms');
  });

  it('close() during a wait for the lock (waitMs: Infinity) ends the wait: close resolves, the load rejects, the holder keeps its lock', async () => {
    const path = join(await dirFor('wait-close'), 'cp.json');
    const holder = forkHolder(path);
    expect(await holder.next()).toMatchObject({ held: true, pid: holder.proc.pid });
    const store = fileCheckpoint(path, { lock: { waitMs: Number.POSITIVE_INFINITY, pollMs: 10 } });
    const loading = store.load('orders');
    const outcome = loading.then(
      () => 'loaded',
      (e: LifelineNodeError) => e,
    );
    await store.close!(); // used to wait for the lock, for ever
    const error = await outcome;
    expect(isLifelineNodeError(error, 'CHECKPOINT_LOCKED')).toBe(true);
    expect((error as LifelineNodeError).message).toContain('closed while waiting');
    expect(JSON.parse(await readFile(`${path}.lock`, 'utf8'))).toMatchObject({ pid: holder.proc.pid });
  });

  it('a stale lock (its process killed with SIGKILL) is taken over with a warning', async () => {
    const path = join(await dirFor('stale'), 'cp.json');
    const holder = forkHolder(path);
    expect(await holder.next()).toMatchObject({ held: true });
    holder.send({ save: 5 });
    expect(await holder.next()).toEqual({ saved: 5 });
    const deadPid = holder.proc.pid;
    holder.proc.kill('SIGKILL');
    await holder.exited;
    // kill -9 runs no exit hook: the dead process's lock is still there.
    expect(JSON.parse(await readFile(`${path}.lock`, 'utf8'))).toMatchObject({ pid: deadPid });

    const warnings: Array<Error & { code?: string }> = [];
    const onWarning = (w: Error & { code?: string }) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const store = fileCheckpoint(path, { fsync: false });
      expect(await store.load('orders')).toEqual({ offset: 5, epoch: 'e1' });
      await store.save('orders', { offset: 6, epoch: 'e1' });
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
      expect(warnings).toHaveLength(1);
      expect(warnings[0]!.code).toBe('LIFELINE_STALE_CHECKPOINT_LOCK');
      expect(warnings[0]!.message).toContain(`pid ${deadPid}`);
      expect(JSON.parse(await readFile(`${path}.lock`, 'utf8'))).toMatchObject({ pid: process.pid, hostname: hostname() });
      // Taken for real: another process is now refused.
      const second = forkHolder(path);
      expect(await second.next()).toMatchObject({ failed: { code: 'CHECKPOINT_LOCKED' } });
      await store.close!();
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('a lock taken from this process (it was believed dead) stops its saves with CHECKPOINT_LOCKED, the file untouched', async () => {
    const path = join(await dirFor('lost'), 'cp.json');
    const store = fileCheckpoint(path, { fsync: false });
    await store.save('orders', { offset: 1, epoch: 'e1' });
    const other = forkHolder(join(await dirFor('other'), 'cp.json'));
    expect(await other.next()).toMatchObject({ held: true });
    // Another live process's record in our lock file: what a wrong takeover leaves.
    const stolen = { pid: other.proc.pid, hostname: hostname(), startedAt: new Date().toISOString(), acquiredAt: new Date().toISOString(), token: 'theirs' };
    await writeFile(`${path}.lock`, JSON.stringify(stolen));
    const before = await readFile(path, 'utf8');
    const error = await lockedError(store.save('orders', { offset: 2, epoch: 'e1' }));
    expect(error.message).toContain('lost its lock');
    expect(error.details).toMatchObject({ holder: { pid: other.proc.pid } });
    expect(await readFile(path, 'utf8')).toBe(before);
    await expect(store.save('orders', { offset: 3, epoch: 'e1' })).rejects.toMatchObject({ code: 'CHECKPOINT_LOCKED' });
    // Not ours any more: close() leaves their lock file alone.
    await store.close!();
    expect(JSON.parse(await readFile(`${path}.lock`, 'utf8'))).toMatchObject({ token: 'theirs' });
  });

  it('stores of one process share the lock; the last close() removes it, and another process can then take it', async () => {
    const path = join(await dirFor('shared'), 'cp.json');
    const a = fileCheckpoint(path, { fsync: false });
    const b = fileCheckpoint(path, { fsync: false });
    await a.save('orders', { offset: 1, epoch: 'e1' });
    await b.save('b', { offset: 1, epoch: 'e1' });
    expect(JSON.parse(await readFile(`${path}.lock`, 'utf8'))).toMatchObject({ pid: process.pid });
    const refused = forkHolder(path);
    expect(await refused.next()).toMatchObject({ failed: { code: 'CHECKPOINT_LOCKED' } });
    await a.close!();
    expect(existsSync(`${path}.lock`)).toBe(true); // b still holds it
    await b.close!();
    expect(existsSync(`${path}.lock`)).toBe(false);
    const next = forkHolder(path);
    expect(await next.next()).toMatchObject({ held: true, position: { offset: 1, epoch: 'e1' } });
  });

  it("a client's close() and drain() release the store's lock (the last client using it)", async () => {
    const path = join(await dirFor('client'), 'cp.json');
    const store = fileCheckpoint(path, { fsync: false });
    const url = 'ws://127.0.0.1:9/v1'; // never connected: autoConnect false
    const first = createNodeClient({ url, checkpoint: store, autoConnect: false });
    const second = createNodeClient({ url, checkpoint: store, autoConnect: false });
    await store.save('orders', { offset: 1, epoch: 'e1' });
    expect(existsSync(`${path}.lock`)).toBe(true);
    await first.close();
    expect(existsSync(`${path}.lock`)).toBe(true); // the second client still uses the store
    expect((await second.drain({ timeoutMs: 1000 })).clean).toBe(true);
    expect(existsSync(`${path}.lock`)).toBe(false);
    const next = forkHolder(path);
    expect(await next.next()).toMatchObject({ held: true, position: { offset: 1, epoch: 'e1' } });
  });

  it('a process exiting normally removes its lock file', async () => {
    const path = join(await dirFor('exit'), 'cp.json');
    const holder = forkHolder(path);
    expect(await holder.next()).toMatchObject({ held: true });
    expect(existsSync(`${path}.lock`)).toBe(true);
    holder.send({ exit: 1 });
    expect(await holder.exited).toBe(0);
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it('a read-only checkpoint directory (no lock file possible): load still reads, save fails with CHECKPOINT_FAILED naming the reason', async () => {
    // A guard, not a lock feature: the lock must not make a read-only volume unreadable.
    const dir = await dirFor('ro');
    const path = join(dir, 'cp.json');
    await writeFile(path, JSON.stringify({ version: 1, channels: { orders: { offset: 4, epoch: 'e1' } } }));
    chmodSync(path, 0o644);
    chmodSync(dir, 0o555);
    try {
      const holder = forkHolder(path, {}, asRoot);
      expect(await holder.next()).toMatchObject({ held: true, position: { offset: 4, epoch: 'e1' } });
      holder.send({ save: 5 });
      const failed = (await holder.next()).failed!;
      expect(failed.code).toBe('CHECKPOINT_FAILED');
      expect(failed.message).toMatch(/EACCES/);
      expect(existsSync(`${path}.lock`)).toBe(false);
    } finally {
      chmodSync(dir, 0o755);
    }
  });

  it.each([
    [{ lock: 'yes' }, /lock must be true, false or/],
    [{ lock: null }, /got null/],
    [{ lock: { waitMs: -1 } }, /waitMs/],
    [{ lock: { waitMs: Number.NaN } }, /waitMs/],
    [{ lock: { pollMs: 0 } }, /pollMs/],
    [{ lock: { wait: 1000 } }, /unknown key "wait"/],
  ])('lock option %j → BAD_OPTION at creation', (options, message) => {
    expect(() => fileCheckpoint(join(root, 'never.json'), options as never)).toThrow(message);
    try {
      fileCheckpoint(join(root, 'never.json'), options as never);
    } catch (e) {
      expect(isLifelineNodeError(e, 'BAD_OPTION')).toBe(true);
    }
  });
});
