#!/usr/bin/env node
// Receive throughput: one subscriber, loopback, 128-byte JSON messages written by a
// server from pre-built frames (client-bound). Server and client are separate
// processes so the client's CPU time is its own. Raw ws + JSON.parse is the baseline.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runChild, startServer } from './lib/child.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));

/** Client kinds, baseline first. */
export const throughputKinds = ['raw-ws', 'lifeline', 'reconnecting-websocket', 'partysocket', 'socket.io-client', 'centrifuge'];

export const serverMode = (kind) => (kind === 'socket.io-client' ? 'socketio' : kind === 'centrifuge' ? 'centrifuge' : 'protocol');

/** One measurement of one client kind. */
export async function runThroughputOnce(kind, { count = 400_000, maxMs = 30_000 } = {}) {
  const warmup = Math.min(50_000, Math.floor(count / 5));
  const server = await startServer(here('./throughput/server.mjs'), [serverMode(kind), String(count)]);
  try {
    return await runChild(here('./throughput/client.mjs'), [kind, server.info.url, String(count), String(warmup), String(maxMs)], {
      timeoutMs: maxMs + 30_000,
    });
  } finally {
    await server.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const kinds = process.argv[2] ? process.argv[2].split(',') : throughputKinds;
  const count = Number(process.env.BENCH_THROUGHPUT_MESSAGES ?? 400_000);
  for (const kind of kinds) console.log(JSON.stringify(await runThroughputOnce(kind, { count })));
}
