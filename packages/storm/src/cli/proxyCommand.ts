import { createInterface } from 'node:readline';
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
export async function proxyCommand(o: { listenPort: number; target: string; latencyMs: number; bytesPerSec: number | null; schedule: ChaosStep[] }): Promise<number> {
  const proxy = await createChaosProxy({ listenPort: o.listenPort, target: o.target, latencyMs: o.latencyMs, bytesPerSec: o.bytesPerSec });
  process.stdout.write(`lifeline-storm proxy listening on ${proxy.url} → ${o.target}\n${proxySettings(o)}\n${CONSOLE_HELP}\n`);
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
