import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bundleFixture } from './fixtures/bundle';
import { killAllChildren, startChild, type Child } from './fixtures/child';
import { waitFor } from './fixtures/fakeChannel';
import { publishHttp } from './fixtures/publishHttp';
import { useTestServer } from './fixtures/testServer';

// The ops trial of the duplicates window: one worker killed with SIGKILL seven times at
// seeded random points (mid-handler, between messages, right after subscribing), once a few
// ms into the drain a SIGTERM started, and twice exactly inside a checkpoint write (temporary file written but not renamed; renamed but the
// directory not fsynced), restarted each time, then stopped with SIGTERM. Every run must
// resume right after the durable checkpoint, in order and gap-free, and redeliver only the
// message in flight at the kill (maxUncommitted 1): the union is everything published.

const testServer = useTestServer();
let worker: string;
let dir: string;

beforeAll(async () => {
  [worker, dir] = await Promise.all([bundleFixture('crashTrialWorker.ts'), mkdtemp(join(tmpdir(), 'lifeline-trial-'))]);
}, 30_000);
afterEach(() => killAllChildren());
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** mulberry32: a seeded PRNG, so a failing schedule can be replayed (the seed is in the test name). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

type Kill =
  | { kind: 'random'; afterEnds: number; jitterMs: number }
  // A supervisor's SIGTERM, then its SIGKILL before the drain is done (a grace period too short).
  | { kind: 'term-kill'; afterEnds: number; jitterMs: number }
  | { kind: 'hold'; point: 'rename' | 'dirsync'; write: number };

for (const [mode, seed] of [
  ['consume', 0x5eed1],
  ['for-await', 0x5eed2],
] as const) {
  describe(`kill -9 trial, ${mode} (seed ${seed})`, () => {
    it('every run resumes after its durable checkpoint, in order and gap-free; only the message in flight is redelivered', async () => {
      const random = prng(seed);
      const channel = `trial-${mode}`;
      const checkpoint = join(dir, `${channel}.json`);
      const output = join(dir, `${channel}.out`);
      const total = 240;
      const args = [testServer.url, channel, checkpoint, output, '3', mode, '1'];
      const lines = () => (existsSync(output) ? readFileSync(output, 'utf8').split('\n').filter(Boolean) : []);
      const stored = (): number | null => {
        if (!existsSync(checkpoint)) return null;
        // JSON.parse throws on a torn file: a kill mid-write must leave the old or the new file.
        return (JSON.parse(readFileSync(checkpoint, 'utf8')) as { channels: Record<string, { offset: number }> }).channels[channel]?.offset ?? null;
      };
      const temps = () => readdirSync(dir).filter((name) => name.startsWith(`.${channel}.json.`) && name.endsWith('.tmp'));

      const kills: Kill[] = [];
      for (let i = 0; i < 7; i += 1) kills.push({ kind: 'random', afterEnds: Math.floor(random() * 25), jitterMs: Math.floor(random() * 8) });
      kills.splice(2, 0, { kind: 'hold', point: 'rename', write: 2 + Math.floor(random() * 10) });
      kills.splice(5, 0, { kind: 'hold', point: 'dirsync', write: 2 + Math.floor(random() * 10) });
      kills.splice(7, 0, { kind: 'term-kill', afterEnds: 1 + Math.floor(random() * 20), jitterMs: Math.floor(random() * 4) });

      // Started once the first run is subscribed: a consumer with no checkpoint starts at the
      // head (README), so what is published before it subscribes is not its to process.
      let publishing = true;
      let published: Promise<void> = Promise.resolve();
      const publish = async () => {
        const { httpUrl } = testServer;
        for (let n = 1; n <= total; n += 1) {
          await publishHttp(httpUrl, channel, { n }, `${channel}-${n}`);
          await new Promise((r) => setTimeout(r, 4));
        }
        publishing = false;
      };

      const ended = new Set<number>();
      let duplicates = 0;
      let first = true;
      const runOnce = async (kill: Kill | null): Promise<void> => {
        const before = stored();
        const from = lines().length;
        const child: Child = startChild(worker, kill?.kind === 'hold' ? [...args, `${kill.write}:${kill.point}`] : args);
        const ready = JSON.parse((await child.line('READY', 20_000)).slice('READY '.length)) as { offset: number } | null;
        // The restart subscribes from exactly the durable checkpoint (the first run from nothing).
        expect(ready?.offset ?? null).toBe(before);
        if (first) {
          expect(before).toBeNull();
          first = false;
          published = publish();
          published.catch(() => {}); // awaited by the last run; a failure there fails the test
        }
        const run = () => lines().slice(from);
        const ends = () => run().filter((l) => l.startsWith('E ')).length;
        if (kill === null) {
          await published;
          await waitFor(() => ended.has(total) || run().includes(`E ${total}`), 60_000, 'the last run to reach the end');
          child.proc.kill('SIGTERM');
          const drained = JSON.parse((await child.line('DRAINED', 10_000)).slice('DRAINED '.length));
          expect(drained).toMatchObject({ clean: true, unfinishedConsumers: 0, checkpoints: { [channel]: { offset: total } } });
          expect(await child.exited).toEqual({ code: 0, signal: null });
        } else if (kill.kind === 'hold') {
          await child.line('IN-WRITE', 30_000);
          child.proc.kill('SIGKILL');
          expect((await child.exited).signal).toBe('SIGKILL');
        } else {
          const target = ends() + kill.afterEnds;
          await waitFor(() => ends() >= target || (!publishing && run().includes(`E ${total}`)), 30_000, `${target} messages processed`);
          if (kill.kind === 'term-kill') child.proc.kill('SIGTERM');
          await new Promise((r) => setTimeout(r, kill.jitterMs));
          child.proc.kill('SIGKILL');
          // A drain quicker than the jitter may have ended the process by itself (exit 0) first.
          const exit = await child.exited;
          if (kill.kind === 'term-kill' && exit.signal === null) expect(exit.code).toBe(0);
          else expect(exit.signal).toBe('SIGKILL');
        }

        const after = stored();
        const starts = run().filter((l) => l.startsWith('S ')).map((l) => Number(l.slice(2)));
        const done = run().filter((l) => l.startsWith('E ')).map((l) => Number(l.slice(2)));
        // In order and gap-free from the checkpoint it resumed after.
        expect(starts).toEqual(range((before ?? 0) + 1, (before ?? 0) + starts.length));
        expect(done).toEqual(starts.slice(0, done.length));
        expect(starts.length - done.length).toBeLessThanOrEqual(1); // one message in flight at most
        // Redelivered: only what the previous run finished past its durable checkpoint.
        const again = done.filter((o) => ended.has(o));
        expect(again).toEqual(again.length === 0 ? [] : range((before ?? 0) + 1, (before ?? 0) + again.length));
        expect(again.length).toBeLessThanOrEqual(1);
        duplicates += again.length;
        for (const o of done) ended.add(o);
        const lastDone = done.at(-1) ?? before ?? 0;
        // The durable checkpoint never moves back and trails what was finished by at most maxUncommitted.
        expect(after ?? 0).toBeGreaterThanOrEqual(before ?? 0);
        expect(after ?? 0).toBeLessThanOrEqual(lastDone);
        expect(lastDone - (after ?? 0)).toBeLessThanOrEqual(1);
        if (kill?.kind === 'hold') {
          // Frozen inside the save of the message just finished (the next one is not handed out
          // before it is durable): the old file before the rename, the new one after it.
          expect(starts.at(-1)).toBe(lastDone);
          expect(after).toBe(kill.point === 'rename' ? lastDone - 1 : lastDone);
          if (kill.point === 'rename') expect(temps().length).toBeGreaterThan(0); // the write was really cut short
        }
      };

      for (const kill of kills) await runOnce(kill);
      await runOnce(null);

      expect([...ended].sort((a, b) => a - b)).toEqual(range(1, total));
      expect(duplicates).toBeLessThanOrEqual(kills.length);
    }, 120_000);
  });
}
