import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bundleFixture } from './fixtures/bundle';
import { killAllChildren, startChild, type Child } from './fixtures/child';
import { waitFor } from './fixtures/fakeChannel';
import { publishHttp } from './fixtures/publishHttp';
import { startTestServer, useTestServer } from './fixtures/testServer';

// The README's worker as written there (for-await, file checkpoint, SIGTERM → drain, no
// process.exit()), run as a child process that is signalled, killed and restarted.
const testServer = useTestServer();
let worker: string;
let dir: string;

beforeAll(async () => {
  [worker, dir] = await Promise.all([bundleFixture('forAwaitWorker.ts'), mkdtemp(join(tmpdir(), 'lifeline-forawait-'))]);
}, 30_000);
afterEach(() => killAllChildren());
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const events = (file: string, kind: 'START' | 'DONE') =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith(`${kind} `))
        .map((l) => Number(l.slice(kind.length + 1)))
    : [];
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const stored = (file: string, channel: string) =>
  JSON.parse(readFileSync(file, 'utf8')).channels[channel] as { offset: number; epoch: string };

/** The child must end by itself within `ms`; past it the test fails (and the child is killed). */
async function exitsWithin(child: Child, ms: number) {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'still running'>((resolve) => (timer = setTimeout(() => resolve('still running'), ms)));
  const outcome = await Promise.race([child.exited, late]);
  clearTimeout(timer);
  return outcome;
}

describe('README worker: SIGTERM mid-message with publishes in flight', () => {
  it('finishes the current body, commits exactly what was handled, flushes every publish and exits by itself; a restart neither skips nor repeats', async () => {
    const channel = 'fa-drain';
    const checkpoint = join(dir, `${channel}.json`);
    const output = join(dir, `${channel}.out`);
    const args = [testServer.url, channel, checkpoint, output, '5'];
    const first = startChild(worker, args);
    await first.line('READY'); // no checkpoint yet: a first run starts at the head
    for (let n = 1; n <= 400; n++) await publishHttp(testServer.httpUrl, channel, { n });
    // SIGTERM lands while a body runs (each body sleeps 5 ms after publishing), with a backlog
    // over the high-water mark (64) buffered: the socket is paused.
    await waitFor(() => events(output, 'START').length >= 5, 20_000, 'some messages handled');
    first.proc.kill('SIGTERM');
    expect(await exitsWithin(first, 10_000)).toEqual({ code: 0, signal: null });

    const started = events(output, 'START');
    const done = events(output, 'DONE');
    expect(started.length).toBeLessThan(400); // stopped mid-stream
    expect(done).toEqual(started); // the body running at SIGTERM was finished, no new one began
    expect(done).toEqual(range(1, done.length));
    const drained = JSON.parse(first.lines.find((l) => l.startsWith('DRAINED '))!.slice(8));
    expect(drained).toMatchObject({ clean: true, unflushedPublishes: 0, unfinishedConsumers: 0 });
    expect(drained.flow.pauses).toBeGreaterThan(0); // the backlog had the socket paused for backpressure
    expect(drained.checkpoints[channel].offset).toBe(done.at(-1));
    expect(stored(checkpoint, channel).offset).toBe(done.at(-1)); // exactly what was handled
    const outcomes = JSON.parse(first.lines.find((l) => l.startsWith('LOOP-ENDED '))!.slice(11)) as string[];
    expect(outcomes).toEqual(done.map((_, i) => `acked ${i + 1}`)); // every in-flight publish acknowledged
    // The server holds exactly one result per handled message: the next offset is the sentinel's.
    expect(await publishHttp(testServer.httpUrl, `${channel}-results`, { sentinel: true })).toBe(done.length + 1);

    // A restart after a drain resumes right after the checkpoint: no message twice.
    const second = startChild(worker, args);
    expect(JSON.parse((await second.line('READY')).slice(6))).toMatchObject({ offset: done.at(-1) });
    await waitFor(() => events(output, 'DONE').at(-1) === 400, 40_000, 'the rest of the backlog');
    second.proc.kill('SIGTERM');
    expect(await exitsWithin(second, 10_000)).toEqual({ code: 0, signal: null });
    expect(events(output, 'DONE')).toEqual(range(1, 400));
    expect(stored(checkpoint, channel).offset).toBe(400);
  }, 60_000);
});

describe('README worker: kill -9 and restart, then a server that lost its log', () => {
  it('redelivers only the message in progress at the crash (maxUncommitted 1); a new epoch stops the loop with GAP', async () => {
    const channel = 'fa-crash';
    const checkpoint = join(dir, `${channel}.json`);
    const output = join(dir, `${channel}.out`);
    const args = [testServer.url, channel, checkpoint, output, '15'];
    const first = startChild(worker, args);
    await first.line('READY');
    for (let n = 1; n <= 80; n++) await publishHttp(testServer.httpUrl, channel, { n });
    await waitFor(() => events(output, 'START').length >= 20, 20_000, 'mid-stream');
    first.proc.kill('SIGKILL');
    await first.exited;
    const firstRun = events(output, 'START');
    const k = firstRun.at(-1)!;
    const c = stored(checkpoint, channel).offset;
    expect(k - c).toBeGreaterThanOrEqual(0);
    expect(k - c).toBeLessThanOrEqual(1); // the README's window: at most maxUncommitted (1)

    const second = startChild(worker, args);
    expect(JSON.parse((await second.line('READY')).slice(6))).toMatchObject({ offset: c });
    await waitFor(() => events(output, 'DONE').at(-1) === 80, 20_000, 'the rest of the backlog');
    second.proc.kill('SIGTERM');
    expect(await exitsWithin(second, 10_000)).toEqual({ code: 0, signal: null });
    const all = events(output, 'START');
    expect(all.slice(firstRun.length)).toEqual(range(c + 1, 80)); // resumes right after the checkpoint
    expect([...new Set(all)].sort((a, b) => a - b)).toEqual(range(1, 80)); // nothing lost
    expect(all.length - 80).toBe(k - c); // duplicates: exactly (checkpoint, last started]

    // A fresh server (memory broker: new epoch, log gone): the documented GAP, loudly.
    const fresh = await startTestServer();
    try {
      await publishHttp(fresh.httpUrl, channel, { n: 1 });
      const third = startChild(worker, [fresh.url, channel, checkpoint, output, '0']);
      const failed = JSON.parse((await third.line('LOOP-FAILED', 20_000)).slice(12));
      expect(failed).toEqual({ code: 'GAP', reason: 'epoch-changed' });
      expect(await exitsWithin(third, 10_000)).toEqual({ code: 1, signal: null });
      expect(events(output, 'START').length).toBe(all.length); // nothing of the new epoch was handed out
      expect(stored(checkpoint, channel).offset).toBe(80); // the checkpoint was not moved past the gap
    } finally {
      await fresh.close();
    }
  }, 60_000);
});
