// close() of the Redis broker leaves nothing behind that keeps the process alive: no
// timer of its own (checked on an injected clock) and, end to end, a process running a
// server on it exits by itself right after closing, whatever state Redis is in.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { redisBroker, type RedisBroker } from '../src/broker/redisBroker';
import { channelKeys } from '../src/broker/redisKeys';
import { startRoleProxy, type RoleProxy } from './helpers/roleProxy';
import { fakeClock, REDIS_URL, redisSuite, waitFor } from './redisTestUtils';

const { available, prefix } = await redisSuite();
const open: RedisBroker[] = [];
const proxies: RoleProxy[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close()));
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});
let n = 0;
const chan = (name: string) => `${name}.${++n}`;

async function proxy(): Promise<RoleProxy> {
  const p = await startRoleProxy();
  proxies.push(p);
  return p;
}
/** Sends a feed a notification it cannot read: it then catches up from the stream. */
async function poke(channel: string): Promise<void> {
  const r = new Redis(REDIS_URL);
  await r.publish(channelKeys(prefix, channel).feed, 'not a notification');
  r.disconnect();
}

describe.skipIf(!available)('redisBroker close(): no timers left', () => {
  it('closing while a catch-up waits for the command connection leaves no timer armed, then or later', async () => {
    const p = await proxy();
    const clock = fakeClock();
    const b = redisBroker({ url: p.url, keyPrefix: prefix, clock, reconnectDelayMs: () => 20, onError: () => undefined });
    open.push(b);
    const ch = chan('close-waiting');
    await b.onMessage(ch, () => undefined);
    p.refuse('cmd', true);
    p.cut('cmd');
    await waitFor(async () => !(await b.healthy()), 'the command connection to be down');
    // Already armed: the liveness PING (the node has a live subscription) and the stall probe.
    const armed = clock.pending();
    await poke(ch);
    await waitFor(() => clock.pending() > armed, 'the catch-up to wait for Redis (readyTimeoutMs timer)');

    await b.close();
    expect(clock.pending()).toBe(0);
    // The failed catch-up must not arm a retry either, however long we wait.
    await new Promise((r) => setImmediate(r));
    clock.advance(60_000);
    await new Promise((r) => setImmediate(r));
    expect(clock.pending()).toBe(0);
  });
});

const pkg = fileURLToPath(new URL('..', import.meta.url));
const outDir = `${pkg}node_modules/.cache/lifeline-close-test`;
const childJs = `${outDir}/child.mjs`;

/** Bundles the child from source, as the CLI test does (the dist may be stale). */
beforeAll(async () => {
  if (!available) return;
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: [`${pkg}test/helpers/closeExitChild.ts`],
    outfile: childJs,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['ws', 'ioredis'],
    alias: { '@lifeline/core/protocol': `${pkg}../core/src/protocol/index.ts`, '@lifeline/core': `${pkg}../core/src/index.ts` },
    logLevel: 'silent',
  });
}, 30_000);

/** Longest a closed process may take to exit: the timers this guards against ran 500-2000 ms. */
const PROMPT_EXIT_MS = 400;

interface Child {
  lines: string[];
  close(): void;
  exit: Promise<number | null>;
}
function startChild(url: string, channel: string): Child {
  const child = spawn(process.execPath, [childJs, url, prefix, channel], { stdio: 'pipe' });
  const lines: string[] = [];
  child.stdout.on('data', (d) => lines.push(...String(d).split('\n').filter(Boolean)));
  child.stderr.on('data', (d) => lines.push(...String(d).split('\n').filter(Boolean).map((l) => `stderr: ${l}`)));
  // A child that does not exit on its own is killed, and the test fails on its exit code.
  const deadline = setTimeout(() => child.kill('SIGKILL'), 10_000);
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => {
    clearTimeout(deadline);
    resolve(code);
  }));
  return { lines, close: () => child.stdin.write('close\n'), exit };
}

async function closeAndTimeExit(c: Child): Promise<number> {
  c.close();
  expect(await c.exit, c.lines.join('\n')).toBe(0);
  expect(c.lines).toContain('closed');
  const exitLine = c.lines.find((l) => l.startsWith('exit '));
  return Number(exitLine?.slice('exit '.length));
}

describe.skipIf(!available)('a process with a server on the Redis broker exits by itself after closing', () => {
  it('with Redis up', async () => {
    const p = await proxy();
    const c = startChild(p.url, chan('exit-up'));
    await waitFor(() => c.lines.includes('ready'), 'the child to serve a subscriber', 15_000);
    expect(await closeAndTimeExit(c)).toBeLessThan(PROMPT_EXIT_MS);
  }, 30_000);

  it('with Redis gone (both connections reconnecting)', async () => {
    const p = await proxy();
    const c = startChild(p.url, chan('exit-gone'));
    await waitFor(() => c.lines.includes('ready'), 'the child to serve a subscriber', 15_000);
    for (const role of ['cmd', 'sub'] as const) {
      p.refuse(role, true);
      p.cut(role);
    }
    await waitFor(() => c.lines.filter((l) => l.includes('connection lost')).length === 2, 'the child to see Redis gone');
    expect(await closeAndTimeExit(c)).toBeLessThan(PROMPT_EXIT_MS);
  }, 30_000);

  it('while a catch-up waits for the command connection to come back', async () => {
    const p = await proxy();
    const ch = chan('exit-catching-up');
    const c = startChild(p.url, ch);
    await waitFor(() => c.lines.includes('ready'), 'the child to serve a subscriber', 15_000);
    p.refuse('cmd', true);
    p.cut('cmd');
    await waitFor(() => c.lines.some((l) => l.includes('commands connection lost')), 'the command connection to be down');
    await poke(ch);
    await waitFor(() => c.lines.some((l) => l.includes('unreadable notification')), 'the child to start a catch-up');
    expect(await closeAndTimeExit(c)).toBeLessThan(PROMPT_EXIT_MS);
  }, 30_000);
});
