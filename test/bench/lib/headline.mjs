// The few sentences RESULTS.md opens with (and the root README quotes), computed from
// the section summaries of the same run.
import { fmt, fmtRatio } from './stats.mjs';

const ok = (cond) => (cond ? '✅' : '❌');

export function headline(byKey) {
  const lines = [];
  const t = byKey.throughput?.summary;
  if (t?.lifeline) {
    const peers = ['reconnecting-websocket', 'partysocket', 'socket.io-client', 'centrifuge'].filter((k) => t[k]).map((k) => `${k} ${fmtRatio(t[k].ratio)} / ${fmtRatio(t[k].cpuBoundRatio)}`);
    lines.push(
      `**Receive throughput:** Lifeline ${fmtRatio(t.lifeline.ratio)} raw ws msg/s wall-clock, ${fmtRatio(t.lifeline.cpuBoundRatio)} per CPU-second ` +
        `(goal ≥ 0.92×: ${ok(t.lifeline.ratio >= 0.92)} / ${ok(t.lifeline.cpuBoundRatio >= 0.92)}); ${fmt(t.lifeline.cpuUsPerMsg, 2)} µs CPU/msg vs raw ${fmt(t['raw-ws']?.cpuUsPerMsg, 2)}; ` +
        `peers (wall-clock / per CPU-second): ${peers.join(', ')}.`,
    );
  }
  const m = byKey.memory?.summary;
  if (m?.lifeline) {
    const peers = ['raw-ws', 'reconnecting-websocket', 'partysocket', 'socket.io-client', 'centrifuge'].filter((k) => m[k]).map((k) => `${k} ${fmt(m[k].heap, 1)}`);
    lines.push(`**Memory per idle client:** Lifeline ${fmt(m.lifeline.heap, 2)} KB heap (goal ≤ 4.5 KB ${ok(m.lifeline.heap <= 4.5)}), ${fmt(m.lifeline.rss, 1)} KB RSS; peers (KB heap): ${peers.join(', ')}.`);
  }
  const s = byKey.size?.summary;
  if (s) {
    const kb = (name) => s.find((r) => r.name === name);
    const core = kb('@lifeline/core');
    const react = kb('@lifeline/react');
    const peers = ['reconnecting-websocket', 'partysocket', 'phoenix', 'socket.io-client', 'pusher-js', 'centrifuge', 'ably']
      .map(kb)
      .filter((r) => r && !r.error)
      .map((r) => `${r.name} ${fmt(r.gzipBytes / 1024, 1)}`);
    if (core && !core.error) {
      lines.push(
        `**Bundle size (min+gzip):** @lifeline/core ${fmt(core.gzipBytes / 1024, 2)} KB (budget 6 KB ${ok(core.gzipBytes <= 6144)}), ` +
          `@lifeline/react +${fmt((react?.gzipOnTop ?? NaN) / 1024, 2)} KB on top (budget 1.5 KB ${ok((react?.gzipOnTop ?? Infinity) <= 1536)}); peers (KB): ${peers.join(', ')}.`,
      );
    }
  }
  const r = byKey.roundtrip?.summary;
  if (r?.lifelineAck) {
    lines.push(
      `**Publish round trip (p50 / p99):** Lifeline publish→ack ${fmt(r.lifelineAck.p50 * 1000, 0)} / ${fmt(r.lifelineAck.p99 * 1000, 0)} µs, ` +
        `publish→delivered ${fmt(r.lifelineDelivered.p50 * 1000, 0)} / ${fmt(r.lifelineDelivered.p99 * 1000, 0)} µs; raw ws echo ${fmt(r.echo.p50 * 1000, 0)} / ${fmt(r.echo.p99 * 1000, 0)} µs.`,
    );
  }
  const v = byKey.server?.summary;
  if (v?.handshakes) {
    lines.push(
      `**Reference server:** ${fmt(v.handshakes.rate, 0)} handshakes/s (p99 connect ${fmt(v.handshakes.p99, 1)} ms); ` +
        `fan-out ${fmt(v.fanout[1000], 0)} msg/s to 1,000 and ${fmt(v.fanout[10000], 0)} msg/s to 10,000 subscribers.`,
    );
  }
  return lines.map((l) => `- ${l}`).join('\n');
}
