#!/usr/bin/env node
// One-command demo: starts a reference server (unless LIFELINE_URL points at one),
// publishes an order every 200 ms, runs worker.mjs, kills it with SIGKILL mid-stream,
// restarts it (it resumes from its checkpoint file), then stops it with SIGTERM
// (graceful drain) and checks that every published order was processed.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from '@lifeline/server';

const channel = 'orders';
const server = process.env.LIFELINE_URL ? null : await createServer({ port: 0 });
const url = process.env.LIFELINE_URL ?? `${server.url}/v1`;
const httpUrl = server?.httpUrl ?? url.replace(/^ws/, 'http').replace(/\/v1$/, '');
const dir = mkdtempSync(join(tmpdir(), 'lifeline-worker-'));
const checkpoint = join(dir, 'orders.checkpoint.json');
console.log(`demo: server ${url}, checkpoint file ${checkpoint}`);

const processed = new Set();
function startWorker() {
  const child = spawn(process.execPath, [new URL('./worker.mjs', import.meta.url).pathname], {
    env: { ...process.env, LIFELINE_URL: url, CHANNEL: channel, CHECKPOINT: checkpoint },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  child.stdout.setEncoding('utf8').on('data', (text) => {
    process.stdout.write(text);
    for (const m of text.matchAll(/processed #(\d+)/g)) processed.add(Number(m[1]));
  });
  return child;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const exited = (child) => new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));

let worker = startWorker();
await sleep(1000); // let it subscribe (a first run without a checkpoint starts at the head)
let published = 0;
const publisher = setInterval(async () => {
  const n = ++published;
  await fetch(`${httpUrl}/v1/publish`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ channel, data: { order: n, total: n * 10 }, id: `order-${n}` }),
  });
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
await sleep(1500);
console.log('\ndemo: SIGTERM: graceful drain\n');
worker.kill('SIGTERM');
const { code } = await exited(worker);
const missing = [];
for (let n = 1; n <= published; n++) if (!processed.has(n)) missing.push(n);
console.log(`\ndemo: published ${published}, processed ${processed.size} distinct, missing ${missing.length ? missing.join(',') : 'none'}, worker exit ${code}`);
await server?.close();
rmSync(dir, { recursive: true, force: true });
process.exitCode = missing.length === 0 && code === 0 ? 0 : 1;
