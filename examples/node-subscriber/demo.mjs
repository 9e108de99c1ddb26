#!/usr/bin/env node
// One-command demo: starts a reference server (unless LIFELINE_URL points at one),
// publishes an order every 200 ms, runs worker.mjs, kills it with SIGKILL mid-stream,
// restarts it (it resumes from its checkpoint file), then stops it with SIGTERM
// (graceful drain) and checks that every published order was processed.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { built } from '../built.mjs';
import { tally } from './tally.mjs';

const { createServer } = await built(import('@lifeline/server'));
// The worker's package too: checked here so that worker.mjs stays a plain file to copy.
await built(import('@lifeline/node'));

const channel = 'orders';
const server = process.env.LIFELINE_URL ? null : await createServer({ port: 0 });
const url = process.env.LIFELINE_URL ?? `${server.url}/v1`;
const httpUrl = server?.httpUrl ?? url.replace(/^ws/, 'http').replace(/\/v1$/, '');
const dir = mkdtempSync(join(tmpdir(), 'lifeline-worker-'));
// On every way out, a failed run's too: it left the directory (checkpoint, lock) behind.
process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
const checkpoint = join(dir, 'orders.checkpoint.json');
console.log(`demo: server ${url}, checkpoint file ${checkpoint}`);

// This run's orders carry its id, in the data and in the idempotency id: against your own
// server (LIFELINE_URL) the channel has other messages and offsets, and a re-run's
// `order-1` would be answered "duplicate" (not delivered again) for the server's dedupe TTL.
const run = randomBytes(4).toString('hex');
// Every "processed" line of this run's orders, by which worker: a Set would hide a repeat.
const processedLog = [];
const processed = new Set();
let subscribed = false;
let workers = 0;
function startWorker() {
  const worker = ++workers;
  const child = spawn(process.execPath, [new URL('./worker.mjs', import.meta.url).pathname], {
    env: { ...process.env, LIFELINE_URL: url, CHANNEL: channel, CHECKPOINT: checkpoint },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // Line by line: a chunk of a pipe can end in the middle of a line.
  createInterface({ input: child.stdout }).on('line', (line) => {
    console.log(line);
    if (/ subscribed to "/.test(line)) subscribed = true;
    const data = / processed #\d+ (\{.*\})$/.exec(line)?.[1];
    const order = data ? JSON.parse(data) : null;
    if (order?.run !== run) return;
    processed.add(order.order);
    processedLog.push({ worker, order: order.order });
  });
  return child;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const exited = (child) => new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
async function until(check, ms) {
  for (const deadline = Date.now() + ms; !check() && Date.now() < deadline; ) await sleep(20);
  return check();
}

let worker = startWorker();
let gone = null;
worker.once('exit', (code, signal) => (gone = signal ?? `code ${code}`));
// A first run without a checkpoint starts at the head: publish once it is subscribed. A
// worker that ends first (unbuilt packages, a refused URL) is said at once, not after 15 s.
await until(() => subscribed || gone !== null, 15_000);
if (!subscribed) {
  console.error(gone !== null ? `demo: the worker exited (${gone}) before it subscribed: see its output above` : 'demo: the worker did not subscribe within 15 s');
  worker.kill('SIGKILL');
  await server?.close();
  process.exit(1);
}
let published = 0;
const failed = [];
let n = 0;
const inFlight = new Set();
const publisher = setInterval(() => {
  const order = ++n;
  // Not fire-and-forget: a refused or failed publish is counted and reported, not lost.
  const sent = fetch(`${httpUrl}/v1/publish`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ channel, data: { run, order, total: order * 10 }, id: `order-${run}-${order}` }),
  })
    .then(async (res) => {
      if (!res.ok) throw new Error(`HTTP ${res.status} ${await res.text()}`);
      published++;
    })
    .catch((error) => failed.push(`#${order}: ${error.message}`))
    .finally(() => inFlight.delete(sent));
  inFlight.add(sent);
}, 200);

await sleep(3000);
console.log('\ndemo: kill -9 the worker mid-stream…\n');
worker.kill('SIGKILL');
await exited(worker);
await sleep(1000);
console.log('\ndemo: restarting it: it resumes after its checkpoint\n');
worker = startWorker();
await sleep(3000);
clearInterval(publisher);
// Drained only once the worker has caught up (a drain leaves the rest for the next run, which
// this demo would count as missing): on a loaded machine it ran seconds behind the publisher.
await Promise.allSettled([...inFlight]);
const caughtUp = () => Array.from({ length: n }, (_, i) => i + 1).every((order) => processed.has(order) || failed.some((f) => f.startsWith(`#${order}:`)));
if (!(await until(caughtUp, 20_000))) console.error('demo: the worker has not caught up after 20 s; draining anyway');
console.log('\ndemo: SIGTERM: graceful drain\n');
worker.kill('SIGTERM');
const { code } = await exited(worker);
// The worker's consume() keeps the default maxUncommitted of 1: at most the one order it was
// on when killed comes again after the restart.
const { missing, redelivered, outsideWindow } = tally(processedLog, n, 1);
if (failed.length) console.error(`demo: ${failed.length} publish(es) failed: ${failed.join('; ')}`);
console.log(
  `\ndemo: redelivered after the kill -9: ${redelivered.length ? redelivered.map((o) => `order ${o}`).join(', ') : 'none'}` +
    (outsideWindow.length
      ? `; OUTSIDE the in-flight window (at most the 1 order the killed worker was on): ${outsideWindow.map((o) => `order ${o}`).join(', ')}`
      : ' (within the in-flight window: at most the 1 order the killed worker was on)'),
);
console.log(`demo: published ${published}, processed ${processed.size} distinct, missing ${missing.length ? missing.join(',') : 'none'}, worker exit ${code}`);
await server?.close();
process.exitCode = missing.length === 0 && outsideWindow.length === 0 && failed.length === 0 && code === 0 ? 0 : 1;
