// Taking over a stale lock with several processes at once. Each contender is a real process
// whose every change to the lock's files waits for the test (fixtures/lockContenderProcess),
// so a race is replayed step by step, whatever files the lock uses. The three-way race: A
// finds the stale lock and is delayed just before acting on it, B takes the lock over
// meanwhile, then A acts and C starts on the file. Moving the lock aside to check it (the
// earlier layout) let A move B's fresh lock away and C create its own in the empty path:
// B and C both held the lock.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bundleFixture } from './fixtures/bundle';

let script: string;
let root: string;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  [script, root] = await Promise.all([bundleFixture('lockContenderProcess.ts'), mkdtemp(join(tmpdir(), 'lifeline-takeover-'))]);
}, 30_000);
afterEach(() => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
});
afterAll(() => rm(root, { recursive: true, force: true }));

type Message = { ready?: number; gate?: { op: string; path: string }; held?: true; pid?: number; saved?: number; failed?: { code?: string; message?: string } };

/** A forked contender: `next()` is its next message. */
async function contender(path: string, gated = true) {
  const proc = fork(script, [path, gated ? '1' : '0'], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  children.add(proc);
  const inbox: Message[] = [];
  const waiting: Array<(m: Message) => void> = [];
  proc.on('message', (m: Message) => {
    const w = waiting.shift();
    if (w) w(m);
    else inbox.push(m);
  });
  const exited = new Promise<never>((_, reject) => proc.once('exit', (code) => reject(new Error(`contender exited (${code})`))));
  exited.catch(() => {});
  const next = (): Promise<Message> => {
    const m = inbox.shift();
    if (m) return Promise.resolve(m);
    return Promise.race([new Promise<Message>((resolve) => waiting.push(resolve)), exited]);
  };
  const first = await next();
  if (first.ready === undefined) throw new Error(`unexpected first message ${JSON.stringify(first)}`);
  /** Lets one change happen (or starts the load); resolves with what comes next: another change, or the outcome. */
  const step = (m: object): Promise<Message> => {
    proc.send(m);
    return next();
  };
  /** Lets every change happen until the load settles. */
  const finish = async (pending: Message): Promise<Message> => {
    let m = pending;
    while (m.gate) m = await step({ go: 1 });
    return m;
  };
  return { pid: proc.pid!, step, finish, next, send: (m: object) => proc.send(m) };
}

/** A lock of a process on another host, not refreshed for a minute: stale by its lease. */
async function staleForeignLock(path: string): Promise<void> {
  const at = new Date(Date.now() - 120_000).toISOString();
  const lockPath = `${path}.lock`;
  await writeFile(lockPath, `${JSON.stringify({ pid: 4242, hostname: 'worker-gone', startedAt: at, acquiredAt: at, token: 'gone0123456789ab' })}\n`);
  const old = new Date(Date.now() - 60_000);
  await utimes(lockPath, old, old);
}

describe('fileCheckpoint: a stale lock taken over by several processes at once', () => {
  it('the three-way race: A delayed between finding the lock stale and acting on it, B takes it over, then C starts: only B holds the lock', async () => {
    const path = join(root, 'three-way.json');
    await staleForeignLock(path);
    const [a, b, c] = await Promise.all([contender(path), contender(path), contender(path)]);

    // A: its first change is creating the lock (it exists: refused); its second acts on the stale lock it read.
    let atA = await a.step({ start: 1 });
    expect(atA.gate).toBeDefined();
    atA = await a.step({ go: 1 });
    expect(atA.gate).toBeDefined(); // A holds still here, the stale lock read and judged

    // B does the whole takeover meanwhile.
    const outB = await b.finish(await b.step({ start: 1 }));
    expect(outB).toMatchObject({ held: true, pid: b.pid });

    // A acts on what it read, one change; then C starts on the file and runs to its end.
    atA = await a.step({ go: 1 });
    const outC = await c.finish(await c.step({ start: 1 }));
    const outA = await a.finish(atA);

    expect(outC.failed?.code).toBe('CHECKPOINT_LOCKED');
    expect(outC.failed?.message).toContain(`pid ${b.pid}`);
    expect(outA.failed?.code).toBe('CHECKPOINT_LOCKED');
    // B's lock is at the path, and B still holds the file: its save writes.
    expect(JSON.parse(await readFile(`${path}.lock`, 'utf8'))).toMatchObject({ pid: b.pid });
    b.send({ save: 7 });
    expect(await b.next()).toEqual({ saved: 7 });
    expect(JSON.parse(await readFile(path, 'utf8')).channels.orders).toMatchObject({ offset: 7 });
  }, 30_000);

  it('A and B both delayed right after finding the same stale lock, then let go in turn one change at a time: exactly one holds it', async () => {
    const path = join(root, 'lockstep.json');
    await staleForeignLock(path);
    const [a, b] = await Promise.all([contender(path), contender(path)]);
    let atA = await a.step({ start: 1 });
    let atB = await b.step({ start: 1 });
    const outcomes: Message[] = [];
    // Alternate single changes until both loads settle.
    while (outcomes.length < 2) {
      if (atA.gate) atA = await a.step({ go: 1 });
      else if (!outcomes.includes(atA)) outcomes.push(atA);
      if (atB.gate) atB = await b.step({ go: 1 });
      else if (!outcomes.includes(atB)) outcomes.push(atB);
    }
    const holders = outcomes.filter((m) => m.held);
    expect(holders).toHaveLength(1);
    expect(outcomes.find((m) => !m.held)?.failed?.code).toBe('CHECKPOINT_LOCKED');
    expect(JSON.parse(await readFile(`${path}.lock`, 'utf8'))).toMatchObject({ pid: holders[0]!.pid });
  }, 30_000);

  it('five processes started at once on a stale lock, three rounds: one holds it each round, the others are refused, nothing is left next to the file', async () => {
    for (let round = 0; round < 3; round += 1) {
      const path = join(root, `crowd-${round}.json`);
      await staleForeignLock(path);
      const crowd = await Promise.all(Array.from({ length: 5 }, () => contender(path, false)));
      for (const one of crowd) one.send({ start: 1 });
      const outcomes = await Promise.all(crowd.map((one) => one.next()));
      const holders = outcomes.filter((m) => m.held);
      expect(holders).toHaveLength(1);
      for (const m of outcomes) if (!m.held) expect(m.failed?.code).toBe('CHECKPOINT_LOCKED');
      expect(JSON.parse(await readFile(`${path}.lock`, 'utf8'))).toMatchObject({ pid: holders[0]!.pid });
      // No claim, aside or temporary file stays behind once the takeover is over.
      expect((await readdir(root)).filter((name) => name.includes(`crowd-${round}.json`)).sort()).toEqual([`crowd-${round}.json.lock`]);
      for (const child of children) child.kill('SIGKILL');
      children.clear();
    }
  }, 60_000);
});
