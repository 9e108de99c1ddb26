// examples/node-subscriber as a user runs it: the demo against a server of their own, on a
// slow machine, and the worker started twice on one checkpoint file (its README's promises).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type LifelineServer } from '@lifeline/server';

const dir = fileURLToPath(new URL('../../examples/node-subscriber/', import.meta.url));
const slowStart = fileURLToPath(new URL('./fixtures/slowWorkerStart.cjs', import.meta.url));

interface Proc {
  child: ChildProcess;
  out: () => string;
  exit: Promise<number | null>;
}

/** Starts `script` of the example as `node script` does, killed after `timeoutMs` at the latest. */
function start(script: string, env: Record<string, string>, timeoutMs: number): Proc {
  const child = spawn(process.execPath, [script], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (t: string) => (out += t));
  child.stderr!.setEncoding('utf8').on('data', (t: string) => (out += t));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const exit = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    }),
  );
  return { child, out: () => out, exit };
}

async function until(check: () => boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let server: LifelineServer | undefined;
const cleanup: (() => void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) c();
  await server?.close();
  server = undefined;
});

describe('examples/node-subscriber', () => {
  it('demo against your own server (LIFELINE_URL) whose orders channel already has orders, as after an earlier run', async () => {
    server = await createServer({ port: 0 });
    // What an earlier demo run left: orders 1–3 on the channel, their ids remembered.
    for (let n = 1; n <= 3; n++) {
      const res = await fetch(`${server.httpUrl}/v1/publish`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ channel: 'orders', data: { order: n, total: n * 10 }, id: `order-${n}` }),
      });
      expect(res.status).toBe(200);
    }
    const demo = start('demo.mjs', { LIFELINE_URL: `${server.url}/v1` }, 40_000);
    const code = await demo.exit;
    expect(demo.out()).toMatch(/demo: published [1-9]\d*, processed \d+ distinct, missing none, worker exit 0/);
    // The kill -9 repeats at most the order the worker was on (the orders already on the channel are not this run's).
    expect(demo.out()).toMatch(/demo: redelivered after the kill -9: (none|order \d+) \(within the in-flight window: at most the 1 order the killed worker was on\)/);
    expect(code).toBe(0);
  }, 45_000);

  it('demo on a machine where the worker is slow to start publishes only once it is subscribed', async () => {
    const demo = start('demo.mjs', { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${slowStart}` }, 50_000);
    const code = await demo.exit;
    expect(demo.out()).toMatch(/demo: published [1-9]\d*, processed \d+ distinct, missing none, worker exit 0/);
    expect(code).toBe(0);
  }, 55_000);

  it('a second worker on the same checkpoint file is refused with CHECKPOINT_LOCKED once, and exits 1 without a crash', async () => {
    server = await createServer({ port: 0 });
    const tmp = mkdtempSync(path.join(tmpdir(), 'worker-lock-'));
    cleanup.push(() => rmSync(tmp, { recursive: true, force: true }));
    const env = { LIFELINE_URL: `${server.url}/v1`, CHECKPOINT: path.join(tmp, 'orders.checkpoint.json') };
    const first = start('worker.mjs', env, 30_000);
    cleanup.push(() => first.child.kill('SIGKILL'));
    await until(() => existsSync(`${env.CHECKPOINT}.lock`) && /consuming "orders"/.test(first.out()), 'the first worker to hold the lock');

    const second = start('worker.mjs', env, 20_000);
    const code = await second.exit;
    const out = second.out();
    expect(code).toBe(1);
    expect(out).toContain("code: 'CHECKPOINT_LOCKED'");
    // Said once, by the worker, not again as an unhandled rejection of ready().
    expect(out.split('is in use by another process').length - 1, out).toBe(1);
    expect(out).not.toMatch(/triggerUncaughtException|Node\.js v\d/);
    expect(out).not.toMatch(/processed #/);

    // The first one was not disturbed: SIGTERM drains it and it exits 0 by itself.
    first.child.kill('SIGTERM');
    expect(await first.exit).toBe(0);
    expect(first.out()).toMatch(/drained \{\s*clean: true/);
  }, 45_000);

  it('a message that is not an order is retried 5 times, dead-lettered, and the orders after it are processed', async () => {
    server = await createServer({ port: 0 });
    const tmp = mkdtempSync(path.join(tmpdir(), 'worker-dlq-'));
    cleanup.push(() => rmSync(tmp, { recursive: true, force: true }));
    const env = { LIFELINE_URL: `${server.url}/v1`, CHECKPOINT: path.join(tmp, 'orders.checkpoint.json') };
    const worker = start('worker.mjs', env, 30_000);
    cleanup.push(() => worker.child.kill('SIGKILL'));
    await until(() => /subscribed to "orders"/.test(worker.out()), 'the worker to subscribe');
    const publish = async (data: unknown, id: string) => {
      const res = await fetch(`${server!.httpUrl}/v1/publish`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ channel: 'orders', data, id }),
      });
      expect(res.status).toBe(200);
      return ((await res.json()) as { offset: number }).offset;
    };
    const poison = await publish({ hello: 'not an order' }, 'poison');
    const next = await publish({ order: 1, total: 10 }, 'order-1');
    await until(() => new RegExp(`processed #${next} `).test(worker.out()), 'the order after the poison message', 20_000);
    const out = worker.out();
    expect(out).toContain(`dead-lettered #${poison} after 5 attempts: not an order: {"hello":"not an order"}`);
    expect(out).not.toMatch(new RegExp(`processed #${poison} `));
    // Dead-lettered before the next order, not after it: the stream stayed in order.
    expect(out.indexOf('dead-lettered')).toBeLessThan(out.indexOf(`processed #${next} `));
    worker.child.kill('SIGTERM');
    expect(await worker.exit).toBe(0);
  }, 45_000);
});
