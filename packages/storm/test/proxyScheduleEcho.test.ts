// Trial finding: `lifeline-storm proxy --schedule 2000:cut,…` ran its steps silently, so a
// user could not tell whether (or when) a step had happened, while every typed command
// answers with what is now in force. Each step now prints that answer when it fires.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { dial, startEcho, waitFor } from './helpers';

const bin = fileURLToPath(new URL('../bin/lifeline-storm.js', import.meta.url));
const built = existsSync(fileURLToPath(new URL('../dist/cli.js', import.meta.url)));

describe('lifeline-storm proxy --schedule (the built bin)', () => {
  it('prints each step\'s answer when it fires, in order, and cancels the rest on quit', async (ctx) => {
    if (!built) {
      console.warn('skipping the bin test: dist/cli.js is missing (run pnpm --filter @lifeline/storm build; pnpm test builds first)');
      ctx.skip();
    }
    const echo = await startEcho();
    const schedule = '300:latency=20,600:bandwidth=off,2000:cut,600000:blackhole';
    const child = spawn(process.execPath, [bin, 'proxy', '--listen', '0', '--target', `127.0.0.1:${echo.port}`, '--schedule', schedule], { stdio: ['pipe', 'pipe', 'pipe'] });
    try {
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      await waitFor(() => /listening on ws:\/\/127\.0\.0\.1:(\d+)/.test(out), 15_000, 'proxy banner');
      const port = Number(/listening on ws:\/\/127\.0\.0\.1:(\d+)/.exec(out)![1]);
      const conn = await dial(port);
      await waitFor(() => /schedule, 2000 ms: cut/.test(out), 10_000, 'the cut step');
      expect(out.split('\n').filter((l) => l.startsWith('schedule, '))).toEqual([
        'schedule, 300 ms: latency 20 ms each way, on every connection',
        'schedule, 600 ms: bandwidth off: no cap',
        // The connection made right after the banner.
        'schedule, 2000 ms: cut 1 connection(s)',
      ]);
      await waitFor(() => conn.closed(), 10_000, 'the cut connection closed');
      // A step still pending (10 min) does not keep the process alive after quit.
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.stdin.write('quit\n');
      expect(await exited).toBe(0);
    } finally {
      child.kill();
      await echo.close();
    }
  }, 30_000);
});
