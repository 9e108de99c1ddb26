import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createNodeClient, fileCheckpoint, isLifelineNodeError, type CheckpointStore } from '../src/index';
import { bundleFixture } from './fixtures/bundle';

// close() (of the store, or of its last client: close()/drain()) racing what the store is
// doing: a first load still on its way to the lock, a wait for another process's lock, and
// another store of the process waiting for the same file. Each left a lock file behind after
// a clean close, or made close()/load() wait for something that was not theirs to wait for.

let holderScript: string;
let root: string;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  [holderScript, root] = await Promise.all([bundleFixture('lockHolderProcess.ts'), mkdtemp(join(tmpdir(), 'lifeline-lockreview-'))]);
}, 30_000);
afterEach(() => {
  vi.restoreAllMocks();
  for (const child of children) child.kill('SIGKILL');
  children.clear();
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** Another process holding the lock of `path` (the shared lock fixture); resolves once it holds it. */
async function holdElsewhere(path: string): Promise<ChildProcess> {
  const proc = fork(holderScript, [path, '{}'], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  children.add(proc);
  const first = await new Promise<{ held?: true }>((resolve, reject) => {
    proc.once('message', resolve);
    proc.once('exit', (code) => reject(new Error(`holder exited (${code})`)));
  });
  expect(first).toMatchObject({ held: true });
  return proc;
}

const dirFor = (name: string) => mkdtemp(join(root, `${name}-`));

/** `promise`'s outcome, or 'still pending' once `ms` of real time passed (a bound, not a sleep: it ends at once when it settles). */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | 'still pending'> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<'still pending'>((resolve) => (timer = setTimeout(() => resolve('still pending'), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves once a wait for the lock sleeps on a timer of `pollMs` (the spy sees it being set). */
async function sleepingFor(pollMs: number): Promise<ReturnType<typeof setTimeout>> {
  const spy = vi.mocked(setTimeout);
  const end = Date.now() + 5_000;
  for (;;) {
    const call = spy.mock.calls.findIndex((args) => args[1] === pollMs);
    if (call >= 0) return spy.mock.results[call]!.value as ReturnType<typeof setTimeout>;
    if (Date.now() > end) throw new Error(`no wait of ${pollMs} ms started`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('fileCheckpoint lock: close() racing the store', () => {
  it('a load under way when close() runs: the lock file is gone once both are done (it was taken after the close, and kept)', async () => {
    const path = join(await dirFor('load-close'), 'cp.json');
    const store = fileCheckpoint(path, { fsync: false });
    const loading = store.load('orders');
    await store.close!();
    await loading.catch(() => {});
    expect(existsSync(`${path}.lock`)).toBe(false);
    // Not stuck either: the next load takes it again.
    expect(await store.load('orders')).toBeNull();
    expect(existsSync(`${path}.lock`)).toBe(true);
    await store.close!();
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it("a clean drain() while the first iteration's load is under way leaves no lock file behind (the next replica was kept waiting while this process lived on)", async () => {
    const path = join(await dirFor('drain-load'), 'cp.json');
    const store = fileCheckpoint(path, { fsync: false });
    const loads: Array<Promise<unknown>> = [];
    const watched: CheckpointStore = {
      ...store,
      load(channel) {
        const loaded = store.load(channel);
        loads.push(loaded);
        return loaded;
      },
    };
    const client = createNodeClient({ url: 'ws://127.0.0.1:9/v1', checkpoint: watched, autoConnect: false });
    const first = client.channel('orders').messages()[Symbol.asyncIterator]().next();
    expect((await client.drain({ timeoutMs: 1_000 })).clean).toBe(true);
    expect(await first).toEqual({ done: true, value: undefined });
    expect(loads).toHaveLength(1);
    await Promise.allSettled(loads);
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it('close() during a wait for the lock ends it at once, whatever pollMs, and clears its timer (it kept close() and the process waiting up to pollMs)', async () => {
    const path = join(await dirFor('wait-poll'), 'cp.json');
    const holder = await holdElsewhere(path);
    vi.spyOn(globalThis, 'setTimeout');
    const clear = vi.spyOn(globalThis, 'clearTimeout');
    const store = fileCheckpoint(path, { lock: { waitMs: Number.POSITIVE_INFINITY, pollMs: 60_000 } });
    const outcome = store.load('orders').then(
      () => 'loaded',
      (e: unknown) => e,
    );
    const timer = await sleepingFor(60_000);
    expect(await within(store.close!(), 2_000)).toBeUndefined();
    const error = await within(outcome, 2_000);
    expect(isLifelineNodeError(error, 'CHECKPOINT_LOCKED')).toBe(true);
    expect((error as Error).message).toContain('closed while waiting');
    expect(clear).toHaveBeenCalledWith(timer);
    expect(JSON.parse(await readFile(`${path}.lock`, 'utf8'))).toMatchObject({ pid: holder.pid });
  });

  it("another store of this process on the same file does not queue behind one store's wait: lock: true refuses at once, and a waiting one's close() ends its own wait", async () => {
    const path = join(await dirFor('two-stores'), 'cp.json');
    const holder = await holdElsewhere(path);
    vi.spyOn(globalThis, 'setTimeout');
    const patient = fileCheckpoint(path, { lock: { waitMs: Number.POSITIVE_INFINITY, pollMs: 60_000 } });
    const patientLoad = patient.load('orders').catch((e: unknown) => e);
    await sleepingFor(60_000);

    // lock: true (waitMs 0): refused at once, not once the other store's endless wait ends.
    const eager = fileCheckpoint(path);
    const refused = await within(
      eager.load('b').catch((e: unknown) => e),
      2_000,
    );
    expect(isLifelineNodeError(refused, 'CHECKPOINT_LOCKED')).toBe(true);
    expect((refused as Error).message).toContain(`pid ${holder.pid}`);

    // A second waiting store: its close() ends its own wait, the first one still waits.
    const other = fileCheckpoint(path, { lock: { waitMs: Number.POSITIVE_INFINITY, pollMs: 50_000 } });
    const otherLoad = other.load('c').catch((e: unknown) => e);
    await sleepingFor(50_000);
    expect(await within(other.close!(), 2_000)).toBeUndefined();
    expect(isLifelineNodeError(await within(otherLoad, 2_000), 'CHECKPOINT_LOCKED')).toBe(true);

    expect(await within(patientLoad, 50)).toBe('still pending');
    await patient.close!();
    expect(isLifelineNodeError(await patientLoad, 'CHECKPOINT_LOCKED')).toBe(true);
  });
});
