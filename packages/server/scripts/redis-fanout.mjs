#!/usr/bin/env node
// Fan-out benchmark for the Redis broker, loopback only and bounded in count and time.
//
//   node packages/server/scripts/redis-fanout.mjs [--subscribers 200] [--messages 1000] [--runs 3]
//
// Scenarios (each node is its own process, the clients live in this process):
//   memory ×1  the in-process broker, one node           (baseline: no Redis at all)
//   redis  ×1  the Redis broker, one node
//   redis  ×2  the Redis broker, two nodes, subscribers split evenly
// Two publishers (on node 1 and node 2 when there are two) publish `messages` between
// them (50 in flight each); every subscriber must receive all of them. Reported: deliveries/s = subscribers × messages ÷ (first publish →
// last delivery), median of `runs`. Then idle CPU of a Redis-broker node holding live
// subscriptions. Sources are bundled from src/ with esbuild on each run (no build step).
import { fork } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const serverDir = join(here, '..');
const bundlePath = join(serverDir, 'node_modules', '.cache', 'redis-fanout', 'bundle.mjs');
const LIMIT_MS = 120_000; // hard stop for the whole script

if (process.argv[2] === '--node') await runNode(JSON.parse(process.argv[3]));
else await main();

// ------------------------------------------------------------------ node process
async function runNode({ kind, keyPrefix }) {
  const { createServer, redisBroker } = await import(pathToFileURL(bundlePath).href);
  const broker = kind === 'redis' ? redisBroker({ keyPrefix, onError: () => undefined }) : undefined;
  const server = await createServer({
    port: 0, host: '127.0.0.1', broker, publishPerSec: 1e9, publishBurst: 1e9, maxChannels: 1000,
  });
  process.on('message', async (m) => {
    if (m === 'cpu') process.send({ cpu: process.cpuUsage() });
    if (m === 'stop') {
      await server.close();
      await broker?.close();
      process.exit(0);
    }
  });
  process.send({ url: server.url });
}

// ------------------------------------------------------------------ driver
async function main() {
  const { values } = parseArgs({
    options: {
      subscribers: { type: 'string', default: '200' },
      messages: { type: 'string', default: '1000' },
      runs: { type: 'string', default: '3' },
    },
  });
  const subscribers = Math.min(Number(values.subscribers), 1000);
  const messages = Math.min(Number(values.messages), 5000);
  const runs = Math.min(Number(values.runs), 7);
  const stopAll = setTimeout(() => {
    console.error(`redis-fanout: exceeded ${LIMIT_MS} ms, giving up`);
    process.exit(2);
  }, LIMIT_MS);

  const { Redis } = await import('ioredis');
  const probe = new Redis('redis://127.0.0.1:6379', { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    await probe.ping();
  } catch (err) {
    console.log(`redis-fanout: SKIPPED, no Redis at 127.0.0.1:6379 (${err.message})`);
    process.exit(0);
  }

  await bundle();
  const keyPrefix = `lifeline-bench:${process.pid}:`;
  const { default: WebSocket } = await import('ws');
  const rows = [];
  try {
    for (const [kind, nodes] of [['memory', 1], ['redis', 1], ['redis', 2]]) {
      const results = [];
      for (let r = 0; r < runs; r++) {
        results.push(await fanOutRun(WebSocket, { kind, nodes, subscribers, messages, keyPrefix, channel: `bench.${kind}.${nodes}.${r}` }));
      }
      rows.push({ scenario: `${kind} ×${nodes}`, results });
    }
    const idle = await idleCpu(WebSocket, keyPrefix, subscribers);
    report(rows, idle, { subscribers, messages, runs });
  } finally {
    await deletePrefix(probe, keyPrefix);
    probe.disconnect();
    clearTimeout(stopAll);
  }
}

async function bundle() {
  const esbuild = await import('esbuild');
  mkdirSync(dirname(bundlePath), { recursive: true });
  const coreSrc = join(serverDir, '..', 'core', 'src');
  await esbuild.build({
    stdin: {
      contents: "export { createServer } from './src/createServer.ts'; export { redisBroker } from './src/broker/redisBroker.ts';",
      resolveDir: serverDir,
      loader: 'ts',
    },
    bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: bundlePath, logLevel: 'error',
    external: ['ws', 'ioredis'],
    plugins: [{
      name: 'workspace-src',
      setup(b) {
        b.onResolve({ filter: /^@lifeline\/core(\/protocol)?$/ }, (a) => ({
          path: a.path.endsWith('/protocol') ? join(coreSrc, 'protocol', 'index.ts') : join(coreSrc, 'index.ts'),
        }));
      },
    }],
  });
}

function startNode(kind, keyPrefix) {
  const child = fork(fileURLToPath(import.meta.url), ['--node', JSON.stringify({ kind, keyPrefix })], { stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`node process exited with ${code}`)));
    child.once('message', (m) => resolve({ child, url: m.url }));
  });
}
/** CPU time (µs) the node process has used so far. */
function nodeCpu(n) {
  return new Promise((resolve) => {
    n.child.once('message', (m) => resolve(m.cpu));
    n.child.send('cpu');
  });
}
async function stopNode(n) {
  const exited = new Promise((r) => n.child.once('exit', r));
  n.child.send('stop');
  await exited;
}

async function openClient(WebSocket, url, clientId) {
  const ws = new WebSocket(`${url}/v1`, { perMessageDeflate: false });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ type: 'hello', v: 1, clientId }));
  await nextFrame(ws, (f) => f.type === 'welcome');
  return ws;
}
function nextFrame(ws, pred) {
  return new Promise((resolve) => {
    const on = (data) => {
      const f = JSON.parse(data.toString());
      if (!pred(f)) return;
      ws.off('message', on);
      resolve(f);
    };
    ws.on('message', on);
  });
}

async function fanOutRun(WebSocket, { kind, nodes, subscribers, messages, keyPrefix, channel }) {
  const started = [];
  const clients = [];
  try {
    for (let i = 0; i < nodes; i++) started.push(await startNode(kind, keyPrefix));
    let remaining = subscribers;
    let lastDelivery = 0;
    let done;
    const allDone = new Promise((r) => { done = r; });
    for (let i = 0; i < subscribers; i++) {
      const ws = await openClient(WebSocket, started[i % nodes].url, `sub-${i}`);
      clients.push(ws);
      ws.send(JSON.stringify({ type: 'sub', ref: 1, channel }));
      await nextFrame(ws, (f) => f.type === 'subscribed');
      let got = 0;
      // Count msg frames without parsing them: the client side must not be the bottleneck.
      ws.on('message', (data) => {
        if (data[9] !== 0x6d /* the m of {"type":"msg" */) return;
        if (++got === messages) {
          lastDelivery = performance.now();
          if (--remaining === 0) done();
        }
      });
    }
    // Two publishers, one per node when there are two: publish load is split like fan-out.
    const pubs = [];
    for (let i = 0; i < 2; i++) pubs.push(await openClient(WebSocket, started[i % nodes].url, `publisher-${i}`));
    clients.push(...pubs);
    const cpuBefore = await Promise.all(started.map(nodeCpu));
    const t0 = performance.now();
    const half = Math.floor(messages / 2);
    await Promise.all([publishAll(pubs[0], channel, half, 50, 'a'), publishAll(pubs[1], channel, messages - half, 50, 'b')]);
    await allDone;
    const cpuAfter = await Promise.all(started.map(nodeCpu));
    const cpuMs = cpuAfter.map((a, i) => (a.user - cpuBefore[i].user + a.system - cpuBefore[i].system) / 1000);
    const seconds = (lastDelivery - t0) / 1000;
    return { rate: (subscribers * messages) / seconds, busiestCpuMs: Math.max(...cpuMs), totalCpuMs: cpuMs.reduce((x, y) => x + y, 0) };
  } finally {
    for (const ws of clients) ws.terminate();
    for (const n of started) await stopNode(n);
  }
}

function publishAll(ws, channel, count, window, tag) {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let acked = 0;
    const send = () => {
      sent++;
      ws.send(JSON.stringify({ type: 'pub', ref: sent, channel, data: { n: sent, pad: 'x'.repeat(64) }, id: `${tag}-${sent}` }));
    };
    ws.on('message', (data) => {
      if (data[9] !== 0x61 /* the a of {"type":"ack" */) {
        if (data.toString().startsWith('{"type":"error"')) reject(new Error(data.toString()));
        return;
      }
      if (++acked === count) resolve();
      else if (sent < count) send();
    });
    while (sent < Math.min(window, count)) send();
  });
}

async function idleCpu(WebSocket, keyPrefix, subscribers) {
  const node = await startNode('redis', keyPrefix);
  const clients = [];
  try {
    for (let i = 0; i < Math.min(subscribers, 100); i++) {
      const ws = await openClient(WebSocket, node.url, `idle-${i}`);
      clients.push(ws);
      ws.send(JSON.stringify({ type: 'sub', ref: 1, channel: `idle.${i}` }));
      await nextFrame(ws, (f) => f.type === 'subscribed');
    }
    const cpu = () => nodeCpu(node);
    const before = await cpu();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, 3000));
    const after = await cpu();
    const wallMs = performance.now() - t0;
    const cpuMs = (after.user - before.user + after.system - before.system) / 1000;
    return { channels: clients.length, wallMs, cpuMs };
  } finally {
    for (const ws of clients) ws.terminate();
    await stopNode(node);
  }
}

async function deletePrefix(redis, prefix) {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
}

function report(rows, idle, { subscribers, messages, runs }) {
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const deliveries = subscribers * messages;
  const base = median(rows[0].results.map((r) => r.rate));
  const oneRedis = median(rows[1].results.map((r) => r.rate));
  console.log(`\nFan-out: ${subscribers} subscribers × ${messages} messages (${deliveries.toLocaleString('en-US')} deliveries per run), 2 publishers, loopback, median of ${runs}`);
  console.log('| scenario | deliveries/s | runs (deliveries/s) | vs memory ×1 | vs redis ×1 | busiest node CPU per 1k deliveries | all nodes CPU per 1k deliveries |');
  console.log('|---|---:|---|---:|---:|---:|---:|');
  for (const { scenario, results } of rows) {
    const m = median(results.map((r) => r.rate));
    const busiest = median(results.map((r) => r.busiestCpuMs)) / (deliveries / 1000);
    const total = median(results.map((r) => r.totalCpuMs)) / (deliveries / 1000);
    console.log(`| ${scenario} | ${Math.round(m).toLocaleString('en-US')} | ${results.map((r) => Math.round(r.rate)).join(', ')} | ${(m / base).toFixed(2)} | ${(m / oneRedis).toFixed(2)} | ${busiest.toFixed(2)} ms | ${total.toFixed(2)} ms |`);
  }
  console.log(`\nIdle: one Redis-broker node with ${idle.channels} subscribed channels used ${idle.cpuMs.toFixed(1)} ms CPU in ${Math.round(idle.wallMs)} ms (${((idle.cpuMs / idle.wallMs) * 100).toFixed(2)} % of a core).`);
  console.log(`node ${process.version}, ${cpus().length} cores, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
}
