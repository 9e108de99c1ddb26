#!/usr/bin/env node
// Reference server capacity: handshakes accepted per second with connect-time
// percentiles, and fan-out deliveries per second to 1,000 and 10,000 subscribers.
// The server, the load generators and the subscribers are separate processes.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runChild, startServer } from './lib/child.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const SUBSCRIBERS_PER_PROCESS = 5000;

export async function runHandshakesOnce({ total = 3000, concurrency = 100, maxMs = 20_000 } = {}) {
  const server = await startServer(here('./lib/reference-server.mjs'));
  try {
    return await runChild(here('./server-load/handshakes.mjs'), [server.info.url, String(total), String(concurrency), String(maxMs)], {
      timeoutMs: maxMs + 60_000,
    });
  } finally {
    await server.stop();
  }
}

export async function runFanoutOnce({ subscribers, messages, maxMs = 30_000 }) {
  const server = await startServer(here('./lib/reference-server.mjs'));
  const groups = [];
  try {
    for (let left = subscribers; left > 0; left -= SUBSCRIBERS_PER_PROCESS) {
      const n = Math.min(SUBSCRIBERS_PER_PROCESS, left);
      groups.push(
        await startServer(here('./server-load/subscribers.mjs'), [server.info.url, String(n), String(messages), String(maxMs)], {
          timeoutMs: 120_000,
        }),
      );
    }
    const pub = await runChild(here('./server-load/publisher.mjs'), [server.info.url, String(messages)], { timeoutMs: maxMs + 30_000 });
    const done = await Promise.all(groups.map((g) => g.result()));
    const delivered = done.reduce((s, d) => s + d.delivered, 0);
    const lastAt = Math.max(...done.map((d) => d.doneAt));
    return {
      subscribers,
      messages,
      delivered,
      expected: subscribers * messages,
      timedOut: done.some((d) => d.timedOut),
      deliveriesPerSec: delivered / Math.max(0.001, (lastAt - pub.startAt) / 1000),
    };
  } finally {
    await Promise.all(groups.map((g) => g.stop()));
    await server.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await runHandshakesOnce()));
  console.log(JSON.stringify(await runFanoutOnce({ subscribers: 1000, messages: 300 })));
  console.log(JSON.stringify(await runFanoutOnce({ subscribers: 10_000, messages: 40 })));
}
