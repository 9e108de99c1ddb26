import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bundleFixture } from './fixtures/bundle';
import { waitFor } from './fixtures/fakeChannel';
import { publishHttp } from './fixtures/publishHttp';
import { useTestServer } from './fixtures/testServer';

// A checkpoint directory that turns read-only under a running worker (a volume remounted
// read-only, permissions changed): a real EACCES from the file system, no injection. The
// worker must stop with a typed CHECKPOINT_FAILED naming the reason, having processed at most
// the one message it could not checkpoint — not go on without durability — and a restart
// once the directory is writable again resumes from the last durable position.
//
// root is not refused by permissions: as root the worker runs as `nobody` (uid 65534).

const testServer = useTestServer();
const asRoot = process.getuid?.() === 0;
let worker: string;
let dir: string;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  [worker, dir] = await Promise.all([bundleFixture('crashTrialWorker.ts'), mkdtemp(join(tmpdir(), 'lifeline-rodir-'))]);
  chmodSync(dir, 0o777);
}, 30_000);
afterEach(() => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function start(args: string[]) {
  const proc = spawn(process.execPath, [worker, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
  });
  children.add(proc);
  let stdout = '';
  let stderr = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => {
      children.delete(proc);
      resolve({ code, signal });
    }),
  );
  const line = async (prefix: string) => {
    await waitFor(() => stdout.split('\n').some((l) => l.startsWith(prefix)) || proc.exitCode !== null, 20_000, `${prefix} (stderr: ${stderr})`);
    const found = stdout.split('\n').find((l) => l.startsWith(prefix));
    if (found === undefined) throw new Error(`no ${prefix} line; stdout: ${stdout} stderr: ${stderr}`);
    return found.slice(prefix.length + 1);
  };
  return { proc, exited, line };
}

describe.skipIf(process.platform === 'win32')('checkpoint directory turned read-only under a running worker', () => {
  for (const mode of ['consume', 'for-await'] as const) {
    it(`${mode}: stops with CHECKPOINT_FAILED (EACCES) after the one uncheckpointed message; a restart resumes`, async () => {
      const channel = `rodir-${mode}`;
      const ckDir = join(dir, channel);
      await mkdir(ckDir);
      chmodSync(ckDir, 0o777);
      const checkpoint = join(ckDir, 'checkpoint.json');
      const output = join(dir, `${channel}.out`);
      const args = [testServer.url, channel, checkpoint, output, '0', mode, '1'];
      const done = () => (existsSync(output) ? readFileSync(output, 'utf8').split('\n').filter((l) => l.startsWith('E ')).map((l) => Number(l.slice(2))) : []);
      const stored = () => (JSON.parse(readFileSync(checkpoint, 'utf8')) as { channels: Record<string, { offset: number }> }).channels[channel]!.offset;

      const first = start(args);
      await first.line('READY');
      for (let n = 1; n <= 5; n += 1) await publishHttp(testServer.httpUrl, channel, { n });
      await waitFor(() => existsSync(checkpoint) && stored() === 5, 20_000, 'checkpoint 5');

      chmodSync(ckDir, 0o555);
      for (let n = 6; n <= 10; n += 1) await publishHttp(testServer.httpUrl, channel, { n });
      const failed = JSON.parse(await first.line('FAILED')) as { code: string; cause: string; message: string };
      expect(failed).toMatchObject({ code: 'CHECKPOINT_FAILED', cause: 'EACCES' });
      expect(failed.message).toContain('EACCES'); // the reason is in the log line, not only in `cause`
      expect(await first.exited).toEqual({ code: 1, signal: null });
      // Message 6 was processed and could not be checkpointed: nothing after it was handed out.
      expect(done()).toEqual([1, 2, 3, 4, 5, 6]);
      expect(stored()).toBe(5);

      chmodSync(ckDir, 0o777);
      const second = start(args);
      expect(JSON.parse(await second.line('READY'))).toMatchObject({ offset: 5 });
      await waitFor(() => done().at(-1) === 10 && stored() === 10, 20_000, 'the restart to catch up');
      expect(done()).toEqual([1, 2, 3, 4, 5, 6, 6, 7, 8, 9, 10]);
      second.proc.kill('SIGTERM');
      expect(await second.exited).toEqual({ code: 0, signal: null });
    }, 60_000);
  }
});
