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

/**
 * `lifeline-storm proxy`: runs the chaos proxy until SIGINT/SIGTERM or `quit`,
 * taking commands on stdin (one per line) on top of the optional schedule.
 */
export async function proxyCommand(o: { listenPort: number; target: string; latencyMs: number; bytesPerSec: number | null; schedule: ChaosStep[] }): Promise<number> {
  const proxy = await createChaosProxy({ listenPort: o.listenPort, target: o.target, latencyMs: o.latencyMs, bytesPerSec: o.bytesPerSec, schedule: o.schedule });
  process.stdout.write(`lifeline-storm proxy listening on ${proxy.url} → ${o.target}\n${proxySettings(o)}\n${CONSOLE_HELP}\n`);
  return new Promise<number>((resolve) => {
    const rl = createInterface({ input: process.stdin, terminal: false });
    const stop = async () => {
      rl.close();
      process.stdin.destroy(); // an open stdin pipe would keep the process alive
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      await proxy.close();
      resolve(0);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    rl.on('line', (line) => {
      const cmd = line.trim().split(/\s+/)[0];
      if (cmd === 'quit' || cmd === 'exit') return void stop();
      process.stdout.write(consoleAnswer(proxy, line));
    });
  });
}
