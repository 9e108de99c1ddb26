import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleFixture } from './fixtures/bundle';

// "Released … when the process exits (an exit handler: also after process.exit())". A process
// exiting while its store released the lock (the lock already forgotten, the file not yet
// removed) or while it took it (the file created, not yet known as held) left its lock file:
// the next process on this host took it over with a stale-lock warning, one on another host
// waited out the 30 s lease.

let script: string;
let root: string;
beforeAll(async () => {
  [script, root] = await Promise.all([
    bundleFixture(fileURLToPath(new URL('./fixtures/lockExitProcess.ts', import.meta.url))),
    mkdtemp(join(tmpdir(), 'lifeline-lockreview-exit-')),
  ]);
}, 30_000);
afterAll(() => rm(root, { recursive: true, force: true }));

async function exitDuring(when: 'closing' | 'taking'): Promise<string> {
  const dir = await mkdtemp(join(root, `${when}-`));
  const path = join(dir, 'cp.json');
  const child = fork(script, [path, when], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(code).toBe(0);
  return `${path}.lock`;
}

describe('fileCheckpoint lock: process.exit() mid-release or mid-acquisition', () => {
  it('process.exit() while store.close() releases the lock: its lock file is removed', async () => {
    expect(existsSync(await exitDuring('closing'))).toBe(false);
  });

  it('process.exit() once the first load created the lock file, before it held it: the lock file is removed', async () => {
    expect(existsSync(await exitDuring('taking'))).toBe(false);
  });
});
