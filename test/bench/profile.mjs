#!/usr/bin/env node
// Diagnostic, not part of `pnpm bench`: CPU profile of one receive-throughput client.
// `node profile.mjs [kind=lifeline] [messages=400000]` runs the client under
// --cpu-prof (profile kept in test/bench/.out/) and prints the functions with the
// most self time, so the hot path of the SDK's receive loop is visible.
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runChild, startServer } from './lib/child.mjs';
import { serverMode } from './throughput.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const kind = process.argv[2] ?? 'lifeline';
const count = Number(process.argv[3] ?? 400_000);
const outDir = here('./.out');
mkdirSync(outDir, { recursive: true });
const name = `${kind}-${Date.now()}.cpuprofile`;

const server = await startServer(here('./throughput/server.mjs'), [serverMode(kind), String(count)]);
try {
  const r = await runChild(here('./throughput/client.mjs'), [kind, server.info.url, String(count), String(Math.floor(count / 5)), '60000'], {
    nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${outDir}`, `--cpu-prof-name=${name}`],
    timeoutMs: 120_000,
  });
  console.log(`${kind}: ${(r.msgsPerSec / 1e6).toFixed(3)} M msg/s, ${r.cpuUsPerMsg.toFixed(2)} µs CPU/msg (under the profiler)`);
} finally {
  await server.stop();
}

const profile = JSON.parse(readFileSync(path.join(outDir, name), 'utf8'));
const self = new Map();
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const dt = new Map();
for (let i = 0; i < profile.samples.length; i++) dt.set(profile.samples[i], (dt.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
let total = 0;
for (const [id, us] of dt) {
  const { callFrame: f } = byId.get(id);
  const where = f.url ? `${f.url.replace(/^.*\/(node_modules|packages)\//, '')}:${f.lineNumber + 1}` : '';
  const key = `${f.functionName || '(anonymous)'} ${where}`;
  self.set(key, (self.get(key) ?? 0) + us);
  total += us;
}
console.log(`self time, top 25 of ${(total / 1000).toFixed(0)} ms (profile: ${path.relative(process.cwd(), path.join(outDir, name))})`);
for (const [k, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
  console.log(`${((100 * us) / total).toFixed(1).padStart(5)}%  ${k}`);
}
