import { createInterface } from 'node:readline';
import { createChaosProxy } from '../proxy/chaosProxy';
import type { ChaosStep } from '../proxy/schedule';

const HELP = 'commands: cut [fraction] | blackhole | restore | latency MS | bandwidth BYTES_PER_S|off | stats | quit';

/**
 * `lifeline-storm proxy`: runs the chaos proxy until SIGINT/SIGTERM or `quit`,
 * taking commands on stdin (one per line) on top of the optional schedule.
 */
export async function proxyCommand(o: { listenPort: number; target: string; latencyMs: number; bytesPerSec: number | null; schedule: ChaosStep[] }): Promise<number> {
  const proxy = await createChaosProxy({ listenPort: o.listenPort, target: o.target, latencyMs: o.latencyMs, bytesPerSec: o.bytesPerSec, schedule: o.schedule });
  process.stdout.write(`lifeline-storm proxy listening on ${proxy.url} → ${o.target}\n${HELP}\n`);
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
      const [cmd, arg] = line.trim().split(/\s+/);
      try {
        if (!cmd) return;
        if (cmd === 'quit' || cmd === 'exit') return void stop();
        if (cmd === 'cut') process.stdout.write(`cut ${proxy.cut(arg === undefined ? 1 : Number(arg))} connection(s)\n`);
        else if (cmd === 'blackhole') process.stdout.write(`blackholed ${proxy.blackhole()} connection(s); new ones are ignored until restore\n`);
        else if (cmd === 'restore') proxy.restore();
        else if (cmd === 'latency') proxy.setLatency(Number(arg ?? 0));
        else if (cmd === 'bandwidth') proxy.setBandwidth(arg === undefined || arg === 'off' ? null : Number(arg));
        else if (cmd === 'stats') process.stdout.write(`${JSON.stringify(proxy.stats())}\n`);
        else process.stdout.write(`unknown command "${cmd}"; ${HELP}\n`);
      } catch (e) {
        process.stdout.write(`error: ${(e as Error).message}\n`);
      }
    });
  });
}
