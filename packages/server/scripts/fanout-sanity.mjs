#!/usr/bin/env node
// Throughput sanity check: messages/s the server fans out to 1,000 local subscribers.
// Bounded (1,000 sockets, 1,000 messages, 60 s cap), loopback only, uses the built dist.
// The server runs in a child process so the clients' work is not billed to it.
// Usage: pnpm --filter @lifeline/server build && node packages/server/scripts/fanout-sanity.mjs [subscribers] [messages]
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);

if (process.argv[2] === '--server') {
  const { createServer } = await import('../dist/index.js');
  const server = await createServer({ port: 0, publishPerSec: 1e9, publishBurst: 1e9, heartbeatMs: 60_000 });
  process.send({ url: server.url });
  let cpuAtStart;
  process.on('message', async (m) => {
    if (m === 'start') return (cpuAtStart = process.cpuUsage());
    const cpu = process.cpuUsage(cpuAtStart);
    process.send({ cpuSeconds: (cpu.user + cpu.system) / 1e6 });
    await server.close();
    process.exit(0);
  });
} else {
  const { default: WebSocket } = await import('ws');
  const SUBSCRIBERS = Number(process.argv[2] ?? 1000);
  const MESSAGES = Number(process.argv[3] ?? 1000);
  const WINDOW = 20; // publishes in flight: keeps the server busy without an unbounded queue
  const CAP_MS = 60_000;

  const child = fork(here, ['--server'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const { url } = await new Promise((resolve) => child.once('message', resolve));

  const open = () =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(`${url}/v1`, { perMessageDeflate: false });
      ws.once('error', reject);
      ws.once('open', () => {
        ws.send(JSON.stringify({ type: 'hello', v: 1 }));
        ws.send(JSON.stringify({ type: 'sub', ref: 1, channel: 'fanout' }));
      });
      ws.on('message', function first(data) {
        if (String(data).includes('"subscribed"')) {
          ws.off('message', first);
          resolve(ws);
        }
      });
    });

  const subs = [];
  for (let i = 0; i < SUBSCRIBERS; i += 100) {
    subs.push(...(await Promise.all(Array.from({ length: Math.min(100, SUBSCRIBERS - i) }, open))));
  }
  let delivered = 0;
  const expected = SUBSCRIBERS * MESSAGES;
  let resolveAll;
  const all = new Promise((r) => (resolveAll = r));
  // Count msg frames without parsing: the figure is the server's fan-out, not the clients' JSON.parse.
  for (const ws of subs) ws.on('message', () => ++delivered === expected && resolveAll());

  const pub = await open();
  let sent = 0;
  let acked = 0;
  const payload = 'x'.repeat(64);
  const sendMore = () => {
    while (sent < MESSAGES && sent - acked < WINDOW) {
      sent++;
      pub.send(JSON.stringify({ type: 'pub', ref: sent, channel: 'fanout', id: `m${sent}`, data: { i: sent, pad: payload } }));
    }
  };
  pub.on('message', (data) => {
    if (String(data).startsWith('{"type":"ack"')) {
      acked++;
      sendMore();
    }
  });
  child.send('start');
  const started = performance.now();
  sendMore();
  const timedOut = await Promise.race([all.then(() => false), new Promise((r) => setTimeout(() => r(true), CAP_MS))]);
  const seconds = (performance.now() - started) / 1000;
  const rate = Math.round(delivered / seconds);
  child.send('stop');
  const { cpuSeconds } = await new Promise((r) => child.once('message', r));
  const perCpu = Math.round(delivered / cpuSeconds);
  console.log(
    `fanout-sanity: ${SUBSCRIBERS} subscribers × ${MESSAGES} messages → ${delivered} deliveries in ${seconds.toFixed(2)} s = ${rate.toLocaleString('en-US')} msg/s wall, ${perCpu.toLocaleString('en-US')} msg per server CPU-second${timedOut ? ' (capped at 60 s, partial)' : ''}`,
  );
  for (const ws of [...subs, pub]) ws.terminate();
  await new Promise((r) => child.once('exit', r));
  process.exit(timedOut ? 1 : 0);
}
