#!/usr/bin/env node
// Memory per idle connected client with one subscribed channel: `count` clients in
// one process (default 5,000), heap and RSS growth after GC, server in its own process.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runChild, startServer } from './lib/child.mjs';
// Same server flavour per client kind as the throughput benchmark (no frames sent here).
import { serverMode } from './throughput.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));

export const memoryKinds = ['raw-ws', 'lifeline', 'reconnecting-websocket', 'partysocket', 'socket.io-client', 'centrifuge'];

export async function runMemoryOnce(kind, { count = 5000 } = {}) {
  const server = await startServer(here('./memory/server.mjs'), [serverMode(kind)]);
  try {
    return await runChild(here('./memory/clients.mjs'), [kind, server.info.url, String(count)], {
      nodeArgs: ['--expose-gc'],
      timeoutMs: 180_000,
    });
  } finally {
    await server.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const kinds = process.argv[2] ? process.argv[2].split(',') : memoryKinds;
  const count = Number(process.env.BENCH_MEMORY_CLIENTS ?? 5000);
  for (const kind of kinds) console.log(JSON.stringify(await runMemoryOnce(kind, { count })));
}
