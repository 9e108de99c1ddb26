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

// Two worker processes started on one checkpoint file by mistake. They used to overwrite each
// other's positions silently (the slower one's position won, or a channel vanished from the
// file). Now the second one is refused by the file's lock with CHECKPOINT_LOCKED before it
// reads a position or subscribes (exit 1, nothing processed), and the first goes on to the end
// with its positions intact. With the lock turned off (`lock: false`) the first one to find the
// file changed under it stops with CHECKPOINT_CONFLICT (exit 1, nothing written) instead.

const testServer = useTestServer();
let worker: string;
let dir: string;

beforeAll(async () => {
  [worker, dir] = await Promise.all([bundleFixture('crashTrialWorker.ts'), mkdtemp(join(tmpdir(), 'lifeline-two-'))]);
}, 30_000);
afterEach(() => killAllChildren());
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ends = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith('E ')).map((l) => Number(l.slice(2))) : []);

describe('two processes on one checkpoint file', () => {
  for (const shape of ['same channel', 'two channels'] as const) {
    it(`${shape}: the second is refused with CHECKPOINT_LOCKED before processing anything; the first processes everything`, async () => {
      const name = `locked-${shape.replace(' ', '-')}`;
      const checkpoint = join(dir, `${name}.json`);
      const channels = shape === 'same channel' ? ['lock-a', 'lock-a'] : ['lock-split-a', 'lock-split-b'];
      const outputs = channels.map((_, i) => join(dir, `${name}-${i}.out`));
      const first = startChild(worker, [testServer.url, channels[0]!, checkpoint, outputs[0]!, '1', 'consume', '1']);
      await first.line('READY');
      const second = startChild(worker, [testServer.url, channels[1]!, checkpoint, outputs[1]!, '1', 'consume', '1']);
      const failed = JSON.parse((await second.line('FAILED')).slice('FAILED '.length));
      expect(failed).toMatchObject({ code: 'CHECKPOINT_LOCKED' });
      expect(failed.message).toContain(checkpoint);
      expect(failed.message).toContain(`pid ${first.proc.pid}`);
      expect(await second.exited).toEqual({ code: 1, signal: null });
      expect(second.lines.some((l) => l.startsWith('READY'))).toBe(false);

      const total = 30;
      for (let n = 1; n <= total; n += 1) {
        for (const ch of new Set(channels)) await publishHttp(testServer.httpUrl, ch, { n });
      }
      await waitFor(() => ends(outputs[0]!).at(-1) === total, 20_000, 'the first worker to reach the end');
      expect(ends(outputs[0]!)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      expect(ends(outputs[1]!)).toEqual([]);
      first.proc.kill('SIGTERM');
      expect(await first.exited).toEqual({ code: 0, signal: null });
      const file = JSON.parse(readFileSync(checkpoint, 'utf8')) as { channels: Record<string, { offset: number }> };
      expect(file.channels).toEqual({ [channels[0]!]: expect.objectContaining({ offset: total }) });
      // Released (by the drain, and at exit): the next worker starts at once.
      expect(existsSync(`${checkpoint}.lock`)).toBe(false);
    }, 60_000);

    it(`${shape}, lock: false: one stops with CHECKPOINT_CONFLICT, the other processes everything and owns the file`, async () => {
      const checkpoint = join(dir, `${shape.replace(' ', '-')}.json`);
      const channels = shape === 'same channel' ? ['dup-a', 'dup-a'] : ['split-a', 'split-b'];
      const outputs = channels.map((_, i) => join(dir, `${shape.replace(' ', '-')}-${i}.out`));
      const workers = channels.map((ch, i) =>
        startChild(worker, [testServer.url, ch, checkpoint, outputs[i]!, '1', 'consume', '1'], [], { CHECKPOINT_LOCK: 'off' }),
      );
      await Promise.all(workers.map((w) => w.line('READY')));
      const total = 60;
      for (let n = 1; n <= total; n += 1) {
        for (const ch of new Set(channels)) await publishHttp(testServer.httpUrl, ch, { n });
      }
      await waitFor(() => workers.some((w) => w.lines.some((l) => l.startsWith('FAILED'))), 20_000, 'a conflict');
      const loser = workers.findIndex((w) => w.lines.some((l) => l.startsWith('FAILED')));
      const winner = 1 - loser;
      const failed = JSON.parse(workers[loser]!.lines.find((l) => l.startsWith('FAILED'))!.slice('FAILED '.length));
      expect(failed).toMatchObject({ code: 'CHECKPOINT_CONFLICT' });
      expect(failed.message).toContain('another writer');
      expect(await workers[loser]!.exited).toEqual({ code: 1, signal: null });

      await waitFor(() => ends(outputs[winner]!).at(-1) === total, 20_000, 'the other worker to reach the end');
      expect(ends(outputs[winner]!)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      await waitFor(() => {
        const file = JSON.parse(readFileSync(checkpoint, 'utf8')) as { channels: Record<string, { offset: number }> };
        return file.channels[channels[winner]!]?.offset === total;
      }, 10_000, 'the winner\'s last checkpoint');
      expect(workers[winner]!.lines.some((l) => l.startsWith('FAILED'))).toBe(false);
      workers[winner]!.proc.kill('SIGTERM');
      expect(await workers[winner]!.exited).toEqual({ code: 0, signal: null });
    }, 60_000);
  }
});
