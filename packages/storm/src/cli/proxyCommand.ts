import { createInterface } from 'node:readline';
import { parseEndpoint } from '../proxy/address';
import { redactTarget } from '../proxy/targetText';
import { createChaosProxy } from '../proxy/chaosProxy';
import type { ChaosStep } from '../proxy/schedule';
import { CONSOLE_HELP, consoleAnswer } from './proxyConsole';

/** The banner's line of settings in force, so a mistyped flag shows before traffic does. */
export function proxySettings(o: { latencyMs: number; bytesPerSec: number | null; schedule: ChaosStep[] }): string {
  const schedule = o.schedule.length
    ? o.schedule.map((s) => `${s.action === 'latency' ? `latency ${s.value} ms` : s.action === 'bandwidth' ? `bandwidth ${s.value === null ? 'off' : `${s.value} B/s`}` : s.action} at ${s.atMs} ms`).join(', ')
    : 'none';
  return `latency ${o.latencyMs} ms each way, bandwidth ${o.bytesPerSec === null ? 'no cap' : `${o.bytesPerSec} B/s per connection and direction`}, schedule: ${schedule}`;
}

/**
 * The banner's first line: where it listens and where traffic goes. The proxy forwards
 * bytes, so a path (or query) in the target is not used: `→ ws://127.0.0.1:8080/v1` read as
 * if clients of the bare proxy URL reached /v1, so the banner says where the path goes.
 */
export function proxyHeadline(url: string, target: string): string {
  const head = `lifeline-storm proxy listening on ${url} → `;
  const path = targetPath(target);
  if (path === null) return head + redactTarget(target);
  const { host, port } = parseEndpoint(target);
  const hostPort = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return `${head}${hostPort} (it forwards bytes, not paths: "${path}" in --target is not used; a client puts the path in its own URL, e.g. ${url}${path})`;
}

/** The path and query of a URL target, or null when it has none beyond `/` (or is `host:port`). */
function targetPath(target: string): string | null {
  if (!/^[a-z]+:\/\//i.test(target)) return null;
  const u = new URL(target);
  const path = `${u.pathname}${u.search}`;
  return path === '/' || path === '' ? null : path;
}

/** A schedule step as the stdin command that does the same (`latency 200`, `bandwidth off`). */
function stepCommand(step: ChaosStep): string {
  if (step.action === 'latency') return `latency ${step.value}`;
  if (step.action === 'bandwidth') return `bandwidth ${step.value ?? 'off'}`;
  return step.action;
}

/**
 * `lifeline-storm proxy`: runs the chaos proxy until SIGINT/SIGTERM or `quit`,
 * taking commands on stdin (one per line) on top of the optional schedule. Exits 0 either
 * way: a signal is how this long-running command is meant to stop.
 */
export async function proxyCommand(o: { listenPort: number; target: string; latencyMs: number; bytesPerSec: number | null; schedule: ChaosStep[]; queueHighWaterMark?: number }): Promise<number> {
  const proxy = await createChaosProxy({ listenPort: o.listenPort, target: o.target, latencyMs: o.latencyMs, bytesPerSec: o.bytesPerSec, ...(o.queueHighWaterMark === undefined ? {} : { queueHighWaterMark: o.queueHighWaterMark }) });
  process.stdout.write(`${proxyHeadline(proxy.url, o.target)}\n${proxySettings(o)}\n${CONSOLE_HELP}\n`);
  // Each step runs as the console command that does the same and prints its answer: a
  // schedule ran silently, so whether (and when) `2000:cut` had cut anything could not be
  // told. The steps were checked when parsed (parseSchedule).
  const timers = o.schedule.map((step) => setTimeout(() => process.stdout.write(`schedule, ${step.atMs} ms: ${consoleAnswer(proxy, stepCommand(step))}`), step.atMs));
  const cancelSchedule = () => timers.forEach(clearTimeout);
  return new Promise<number>((resolve) => {
    const rl = createInterface({ input: process.stdin, terminal: false });
    const stop = async (why: 'SIGINT' | 'SIGTERM' | null) => {
      cancelSchedule();
      rl.close();
      process.stdin.destroy(); // an open stdin pipe would keep the process alive
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      // Closing takes time in proportion to the connections held (each socket is torn down:
      // measured ~0.3 s for 4,000 sockets, about 1 s while a storm ran on the same 2 cores),
      // so it is said up front; with the handlers gone, a second signal ends the process at once.
      if (why) process.stderr.write(`lifeline-storm proxy: ${why}: closing ${proxy.stats().active} connection(s) (send it again to quit at once)\n`);
      await proxy.close();
      resolve(0);
    };
    const onInt = () => void stop('SIGINT');
    const onTerm = () => void stop('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    rl.on('line', (line) => {
      const cmd = line.trim().split(/\s+/)[0];
      if (cmd === 'quit' || cmd === 'exit') return void stop(null);
      process.stdout.write(consoleAnswer(proxy, line));
    });
  });
}
