import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bundleFixture } from './fixtures/bundle';
import { killAllChildren, startChild } from './fixtures/child';
import { waitFor } from './fixtures/fakeChannel';
import { publishHttp } from './fixtures/publishHttp';
import { useTestServer } from './fixtures/testServer';

const testServer = useTestServer();
let subscriber: string;
let dir: string;

beforeAll(async () => {
  [subscriber, dir] = await Promise.all([bundleFixture('subscriberProcess.ts'), mkdtemp(join(tmpdir(), 'lifeline-crash-'))]);
}, 30_000);
afterEach(() => killAllChildren());
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const processed = (file: string) =>
  existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number) : [];
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('kill -9 and restart (child-process subscriber, real server)', () => {
  for (const window of [1, 8]) {
    it(`processes everything published, in order, with at most maxUncommitted=${window} duplicates after the crash`, async () => {
      const channel = `orders-crash-${window}`;
      const checkpoint = join(dir, `${channel}.ckpt.json`);
      const output = join(dir, `${channel}.out`);
      const total = 300;
      const url = testServer.url;
      const args = [url, channel, checkpoint, output, '2', String(window)];

      const first = startChild(subscriber, args);
      await first.line('READY');
      const published = (async () => {
        for (let n = 1; n <= total; n++) await publishHttp(testServer.httpUrl, channel, { n }, `p-${n}`);
      })();
      await waitFor(() => processed(output).length >= 80, 30_000, 'first run mid-stream');
      first.proc.kill('SIGKILL');
      const { signal } = await first.exited;
      expect(signal).toBe('SIGKILL');
      const firstRun = processed(output);
      const stored = JSON.parse(readFileSync(checkpoint, 'utf8')).channels[channel] as { offset: number };

      const second = startChild(subscriber, args);
      const ready = await second.line('READY');
      expect(JSON.parse(ready.slice('READY '.length))).toMatchObject({ offset: stored.offset });
      await published;
      await waitFor(() => processed(output).at(-1) === total, 40_000, 'second run to reach the end');
      second.proc.kill('SIGTERM');
      await second.exited;

      const all = processed(output);
      const secondRun = all.slice(firstRun.length);
      const k = firstRun.at(-1)!;
      // Each run is gap-free and ordered; the restart resumes right after the stored checkpoint.
      expect(firstRun).toEqual(range(1, k));
      expect(secondRun).toEqual(range(stored.offset + 1, total));
      // The union is everything published.
      expect([...new Set(all)].sort((a, b) => a - b)).toEqual(range(1, total));
      // Duplicates are exactly the in-flight window at the crash: (stored, k], at most `window` messages.
      const duplicates = firstRun.filter((o) => o > stored.offset);
      expect(duplicates).toEqual(range(stored.offset + 1, k));
      expect(duplicates.length).toBeLessThanOrEqual(window);
    }, 60_000);
  }
});

describe('SIGTERM drain (child process)', () => {
  it('stops after the current message, commits its checkpoint, flushes a queued publish, closes with 1001 and exits by itself', async () => {
    const channel = 'orders-drain';
    const checkpoint = join(dir, `${channel}.ckpt.json`);
    const output = join(dir, `${channel}.out`);
    const child = startChild(subscriber, [testServer.url, channel, checkpoint, output, '20', '1']);
    await child.line('READY');
    for (let n = 1; n <= 40; n++) await publishHttp(testServer.httpUrl, channel, { n });
    await waitFor(() => processed(output).length >= 5, 20_000, 'some processing');
    child.proc.kill('SIGTERM');
    const drained = JSON.parse((await child.line('DRAINED', 20_000)).slice('DRAINED '.length));
    const exit = await child.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(drained.closeCode).toBe(1001);
    expect(drained.result).toMatchObject({ clean: true, unflushedPublishes: 0, unfinishedConsumers: 0 });
    expect(drained.bye).toMatch(/^acked@\d+$/);
    expect(child.lines).toContain('CONSUME-ENDED');
    const done = processed(output);
    expect(done.length).toBeLessThan(40); // it stopped mid-stream rather than finishing the backlog
    const stored = JSON.parse(readFileSync(checkpoint, 'utf8')).channels[channel];
    expect(stored.offset).toBe(done.at(-1)); // the message in progress at SIGTERM was finished and committed
    expect(drained.result.checkpoints[channel].offset).toBe(done.at(-1));
  }, 40_000);
});
