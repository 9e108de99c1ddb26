// Handshake rate against the reference server (child process).
// `node handshakes.mjs <url> <total> <concurrency> <maxMs>` opens `total` raw
// protocol connections (upgrade + hello→welcome), `concurrency` at a time, keeps
// them open until the end, and prints accepted/s and connect-time percentiles.
import { emitResult } from '../lib/child.mjs';
import { rawHandshake } from '../lib/raw-protocol.mjs';
import { percentile } from '../lib/stats.mjs';

const [url, totalArg, concArg, maxMsArg] = process.argv.slice(2);
const total = Number(totalArg);
const concurrency = Number(concArg);
const maxMs = Number(maxMsArg);

const open = [];
const times = [];
let failed = 0;
let started = 0;
const t0 = performance.now();
const end = t0 + maxMs;

async function worker() {
  while (started < total && performance.now() < end) {
    started++;
    const t = performance.now();
    try {
      open.push(await rawHandshake(url, { timeoutMs: 20_000 }));
      times.push(performance.now() - t);
    } catch {
      failed++;
    }
  }
}

await Promise.all(Array.from({ length: concurrency }, worker));
const elapsedS = (performance.now() - t0) / 1000;
for (const ws of open) ws.terminate();
emitResult({
  accepted: times.length,
  failed,
  handshakesPerSec: times.length / elapsedS,
  p50Ms: percentile(times, 50),
  p99Ms: percentile(times, 99),
});
