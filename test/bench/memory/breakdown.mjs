#!/usr/bin/env node
// Diagnostic, not part of `pnpm bench`: where does an idle client's heap go?
// `node --expose-gc memory/breakdown.mjs <kind> [count]` starts the idle server,
// connects `count` clients of `kind` (default lifeline, 1000) and prints the heap
// growth per client grouped by constructor, from two V8 heap snapshots.
import v8 from 'node:v8';
import { fileURLToPath } from 'node:url';
import { startServer, waitFor } from '../lib/child.mjs';
import WS from 'ws';

const kind = process.argv[2] ?? 'lifeline';
const count = Number(process.argv[3] ?? 1000);
const server = await startServer(fileURLToPath(new URL('./server.mjs', import.meta.url)), ['protocol']);
const url = server.info.url;

function bySelfSize() {
  global.gc();
  const snap = JSON.parse(readStream(v8.getHeapSnapshot()));
  const f = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [ti, ni, si] = ['type', 'name', 'self_size'].map((k) => f.indexOf(k));
  const out = new Map();
  for (let i = 0; i < snap.nodes.length; i += f.length) {
    const key = `${types[snap.nodes[i + ti]]}:${snap.strings[snap.nodes[i + ni]].slice(0, 60)}`;
    const e = out.get(key) ?? { bytes: 0, count: 0 };
    e.bytes += snap.nodes[i + si];
    e.count++;
    out.set(key, e);
  }
  return out;
}

function readStream(stream) {
  const chunks = [];
  let chunk;
  while ((chunk = stream.read()) !== null) chunks.push(chunk);
  return Buffer.concat(chunks).toString();
}

const connect = async () => {
  if (kind === 'lifeline') {
    const { createClient } = await import('@lifeline/core');
    return () => {
      const c = createClient({ url: `${url}/v1`, WebSocket: WS });
      const ch = c.channel('room');
      ch.subscribe(() => {});
      return () => ch.getSnapshot().state === 'subscribed';
    };
  }
  return () => {
    const ws = new WS(url);
    let ready = false;
    ws.on('open', () => ws.send(JSON.stringify({ type: 'sub', ref: 1, channel: 'room' })));
    ws.on('message', () => (ready = true));
    return () => ready;
  };
};

const make = await connect();
const warm = make();
await waitFor(warm, 20_000, 'warm-up client');
const before = bySelfSize();
const ready = [];
for (let i = 0; i < count; i++) ready.push(make());
await waitFor(() => ready.every((r) => r()), 60_000, 'all clients subscribed');
const after = bySelfSize();
const rows = [...after].map(([k, v]) => {
  const b = before.get(k) ?? { bytes: 0, count: 0 };
  return [k, (v.bytes - b.bytes) / count, (v.count - b.count) / count];
});
rows.sort((a, b) => b[1] - a[1]);
const total = rows.reduce((s, r) => s + r[1], 0);
console.log(`${kind}: ${(total / 1024).toFixed(2)} KB self size per client (all node types)`);
for (const [k, bytes, n] of rows.slice(0, 30)) console.log(`${bytes.toFixed(0).padStart(6)} B  ${n.toFixed(2).padStart(6)} objs  ${k}`);
await server.stop();
process.exit(0);
