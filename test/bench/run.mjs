#!/usr/bin/env node
// `pnpm bench` (after `pnpm build`): runs every benchmark against its baseline in the
// same run, BENCH_RUNS times (median reported), prints the tables and writes
// test/bench/RESULTS.md. Loopback only; every loop is bounded by count and time.
//   BENCH_RUNS=3                 runs per benchmark (size is deterministic: once)
//   BENCH_ONLY=size,throughput,memory,roundtrip,server   subset to run
//   BENCH_THROUGHPUT_MESSAGES=300000  BENCH_MEMORY_CLIENTS=5000  BENCH_RTT_ITERATIONS=2000
//   BENCH_FANOUT_MESSAGES_1K=300  BENCH_FANOUT_MESSAGES_10K=40  BENCH_HANDSHAKES=3000
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { headline } from './lib/headline.mjs';
import { machineInfo, versions } from './lib/machine.mjs';
import { memorySection, roundtripSection, serverSection, throughputSection } from './lib/sections.mjs';
import { markdownTable, textTable } from './lib/stats.mjs';
import { memoryKinds, runMemoryOnce } from './memory.mjs';
import { roundtripCases, runRoundtripOnce } from './roundtrip.mjs';
import { runFanoutOnce, runHandshakesOnce } from './server-load.mjs';
import { runSize, sizeTable } from './size.mjs';
import { runThroughputOnce, throughputKinds } from './throughput.mjs';

const env = (name, fallback) => Number(process.env[name] ?? fallback);
const RUNS = Math.max(1, env('BENCH_RUNS', 3));
const ONLY = (process.env.BENCH_ONLY ?? 'size,throughput,memory,roundtrip,server').split(',');
const resultsPath = fileURLToPath(new URL('./RESULTS.md', import.meta.url));
const started = Date.now();
const machine = machineInfo();

/**
 * One client's failure (a peer that cannot connect, a crash) must not hide every other
 * row: it is recorded as a non-finite result, shown as "—"/INCOMPLETE, and counted.
 */
let failedRuns = 0;
async function tolerant(what, fn) {
  try {
    return await fn();
  } catch (error) {
    failedRuns++;
    console.error(`  ${what} failed: ${String(error?.message ?? error).split('\n').slice(0, 6).join('\n    ')}`);
    return { failed: true, timedOut: true, outOfOrder: NaN, msgsPerSec: NaN, cpuUsPerMsg: NaN, heapKbPerClient: NaN, rssKbPerClient: NaN };
  }
}

/** Rotates the order each run so no kind always runs first (or last) on a noisy machine. */
const rotated = (kinds, run) => kinds.map((_, i) => kinds[(i + run) % kinds.length]);

async function perKindRuns(kinds, once) {
  const runs = [];
  for (let run = 0; run < RUNS; run++) {
    const results = {};
    for (const kind of rotated(kinds, run)) {
      process.stderr.write(`  run ${run + 1}/${RUNS} ${kind}…\n`);
      results[kind] = await tolerant(kind, () => once(kind));
    }
    runs.push(results);
  }
  return runs;
}

const sections = [];
let failures = 0;

async function section(key, title, description, fn) {
  if (!ONLY.includes(key)) return;
  process.stderr.write(`${title}\n`);
  const t = Date.now();
  try {
    const s = await fn();
    sections.push({ key, title, description, ...s, seconds: (Date.now() - t) / 1000 });
    console.log(`\n## ${title}\n${s.text}${s.note ? `\n${s.note}` : ''}\n`);
  } catch (error) {
    failures++;
    const msg = String(error?.stack ?? error);
    sections.push({ key, title, description, markdown: `**Failed:**\n\n\`\`\`\n${msg.slice(0, 3000)}\n\`\`\``, note: '' });
    console.error(`\n## ${title}: FAILED\n${msg}\n`);
  }
}

await section('size', 'Bundle size', 'esbuild 0.28, every export kept (`import * as m; export default m`), minified ESM, platform browser, gzip -9. Deterministic: measured once.', async () => {
  const rows = await runSize();
  const core = rows.find((r) => r.name === '@lifeline/core');
  const react = rows.find((r) => r.name === '@lifeline/react');
  const note = core && !core.error ? `Budgets: core ${(core.gzipBytes / 1024).toFixed(2)} KB ≤ 6 KB ${core.gzipBytes <= 6144 ? '✅' : '❌'}; react on top of core ${((react?.gzipOnTop ?? NaN) / 1024).toFixed(2)} KB ≤ 1.5 KB ${(react?.gzipOnTop ?? Infinity) <= 1536 ? '✅' : '❌'}` : '';
  return { summary: rows, note, markdown: sizeTable(rows), text: sizeTable(rows, textTable) };
});

await section('throughput', 'Receive throughput', `One subscriber, loopback, 128-byte JSON messages (${env('BENCH_THROUGHPUT_MESSAGES', 300_000).toLocaleString('en-US')} per run, clock from message ${Math.min(50_000, Math.floor(env('BENCH_THROUGHPUT_MESSAGES', 300_000) / 5)).toLocaleString('en-US')}). The server writes pre-built frames straight to the TCP socket, so the client is the bottleneck; server and client are separate processes. Lifeline runs with offset tracking and dedupe (always on). Each client run is paired with a raw ws run right next to it and compared with that one. CPU is the client process's user+system time per message; "msg per CPU-s × raw" (raw's CPU per message ÷ the client's) is the throughput ratio each would reach with a core to itself, and is the steadier figure on a shared machine.`, async () => {
  const count = env('BENCH_THROUGHPUT_MESSAGES', 300_000);
  // Load on a shared machine drifts within seconds, so every client run is paired with
  // a raw-ws run right next to it (alternating which goes first) and compared to that.
  const contenders = throughputKinds.filter((k) => k !== 'raw-ws');
  const pairs = [];
  for (let run = 0; run < RUNS; run++) {
    for (const [i, kind] of rotated(contenders, run).entries()) {
      process.stderr.write(`  run ${run + 1}/${RUNS} ${kind} paired with raw-ws…\n`);
      const rawFirst = (run + i) % 2 === 0;
      const first = await tolerant(rawFirst ? 'raw-ws' : kind, () => runThroughputOnce(rawFirst ? 'raw-ws' : kind, { count }));
      const second = await tolerant(rawFirst ? kind : 'raw-ws', () => runThroughputOnce(rawFirst ? kind : 'raw-ws', { count }));
      pairs.push({ kind, result: rawFirst ? second : first, baseline: rawFirst ? first : second });
    }
  }
  return throughputSection(pairs, throughputKinds);
});

await section('memory', 'Memory per idle client', `${env('BENCH_MEMORY_CLIENTS', 5000).toLocaleString('en-US')} clients in one process (\`--expose-gc\`), each connected and subscribed to one channel, idle; growth of heapUsed and RSS after GC divided by the client count. Lifeline clients keep their heartbeat timer armed (server pings every 15 s).`, async () => {
  const count = env('BENCH_MEMORY_CLIENTS', 5000);
  const runs = await perKindRuns(memoryKinds, (kind) => runMemoryOnce(kind, { count }));
  return memorySection(runs, memoryKinds);
});

await section('roundtrip', 'Publish round trip', 'Through the reference server (@lifeline/server, memory broker, separate process), one request in flight, 10% warm-up rounds discarded. "delivered" = publish call until another client\'s handler sees the message. Raw ws speaking the protocol by hand isolates the SDK\'s own cost; the /echo round trip is the floor.', async () => {
  const iterations = env('BENCH_RTT_ITERATIONS', 2000);
  const runs = [];
  for (let run = 0; run < RUNS; run++) {
    process.stderr.write(`  run ${run + 1}/${RUNS}…\n`);
    runs.push(await runRoundtripOnce({ iterations }));
  }
  return roundtripSection(runs, roundtripCases);
});

await section('server', 'Reference server', 'The @lifeline/server process alone on the server side; load generators are raw-protocol ws clients in other processes (up to 5,000 connections each), so the numbers include their CPU on the same machine. Handshakes: 100 concurrent connects until the count is reached. Fan-out: one publisher (32 unacknowledged at most), every subscriber counts every message.', async () => {
  const handshakeRuns = [];
  const fanoutRuns = { 1000: [], 10000: [] };
  for (let run = 0; run < RUNS; run++) {
    process.stderr.write(`  run ${run + 1}/${RUNS} handshakes, fan-out 1k, fan-out 10k…\n`);
    handshakeRuns.push(await runHandshakesOnce({ total: env('BENCH_HANDSHAKES', 3000) }));
    fanoutRuns[1000].push(await runFanoutOnce({ subscribers: 1000, messages: env('BENCH_FANOUT_MESSAGES_1K', 300) }));
    fanoutRuns[10000].push(await runFanoutOnce({ subscribers: 10_000, messages: env('BENCH_FANOUT_MESSAGES_10K', 40) }));
  }
  return serverSection(handshakeRuns, fanoutRuns);
});

const v = versions();
const top = headline(Object.fromEntries(sections.map((s) => [s.key, s])));
console.log(`\n${top}\n`);
const md = [
  '# Benchmark results',
  '',
  `Generated by \`pnpm bench\` (test/bench/run.mjs) on ${machine.date} in ${((Date.now() - started) / 1000).toFixed(0)} s. ` +
    `Medians of ${RUNS} run${RUNS > 1 ? 's' : ''}; every ratio is against the baseline measured in the same run. ` +
    'The machine is shared, so absolute numbers move between runs; the ratios are what to read. See README.md for what each benchmark does.',
  '',
  top,
  '',
  '## Machine',
  '',
  markdownTable(['cpu', 'memory', 'os', 'node', 'load average at start (1/5/15 min)', 'commit'], [[machine.cpu, machine.memory, machine.os, machine.node, machine.loadAvg, machine.commit]]),
  '',
  '## Versions',
  '',
  markdownTable(['package', 'version'], Object.entries(v)),
  '',
  ...sections.flatMap((s) => [`## ${s.title}`, '', `${s.description}${s.seconds ? ` (${s.seconds.toFixed(0)} s)` : ''}`, '', s.markdown, '', ...(s.note ? [s.note, ''] : [])]),
].join('\n');
if (!process.env.BENCH_NO_WRITE) {
  writeFileSync(resultsPath, md);
  console.log(`wrote ${resultsPath}`);
}
if (failedRuns) console.error(`${failedRuns} benchmark run(s) failed (shown as — / INCOMPLETE)`);
process.exit(failures || failedRuns ? 1 : 0);
