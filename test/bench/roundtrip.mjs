#!/usr/bin/env node
// Publish round trip (p50/p99) through the reference server, Lifeline vs raw ws
// speaking the same protocol, with the raw ws echo on /echo as the floor.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runChild, startServer } from './lib/child.mjs';
import { percentile } from './lib/stats.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));

export const roundtripCases = [
  { key: 'echo', label: 'raw ws echo (/echo)', baseline: true },
  { key: 'rawAck', label: 'raw ws pub → ack' },
  { key: 'lifelineAck', label: 'Lifeline publish → ack' },
  { key: 'rawDelivered', label: 'raw ws pub → delivered to another socket' },
  { key: 'lifelineDelivered', label: 'Lifeline publish → delivered to another client' },
];

/** One run: every case's p50 and p99 in ms. */
export async function runRoundtripOnce({ iterations = 2000, maxMs = 8000 } = {}) {
  const server = await startServer(here('./lib/reference-server.mjs'));
  try {
    const raw = await runChild(here('./roundtrip/client.mjs'), [server.info.url, String(iterations), String(maxMs)], {
      timeoutMs: maxMs * roundtripCases.length + 60_000,
    });
    const out = {};
    for (const c of roundtripCases) {
      const v = raw[c.key] ?? [];
      out[c.key] = { n: v.length, p50: percentile(v, 50), p99: percentile(v, 99) };
    }
    return out;
  } finally {
    await server.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await runRoundtripOnce({ iterations: Number(process.env.BENCH_RTT_ITERATIONS ?? 2000) }), null, 1));
}
