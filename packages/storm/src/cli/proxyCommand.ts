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
        // Every accepted command answers with what is now in force: a silent one cannot be
        // told from a line the proxy never read.
        if (cmd === 'cut') process.stdout.write(`cut ${proxy.cut(arg === undefined ? 1 : Number(arg))} connection(s)\n`);
        else if (cmd === 'blackhole') process.stdout.write(`blackholed ${proxy.blackhole()} connection(s); new ones are ignored until restore\n`);
        else if (cmd === 'restore') {
          proxy.restore();
          // It ends blackhole mode only: shaping stays as set, which is worth saying.
          process.stdout.write('restored: new connections forward again (blackholed ones stay dead); latency and bandwidth unchanged\n');
        } else if (cmd === 'latency') {
          const ms = Number(arg ?? 0);
          proxy.setLatency(ms);
          process.stdout.write(`latency ${ms} ms each way, on every connection\n`);
        } else if (cmd === 'bandwidth') {
          const bytesPerSec = arg === undefined || arg === 'off' ? null : Number(arg);
          proxy.setBandwidth(bytesPerSec);
          process.stdout.write(bytesPerSec === null ? 'bandwidth off: no cap\n' : `bandwidth ${bytesPerSec} B/s per connection and direction\n`);
        } else if (cmd === 'stats') process.stdout.write(`${JSON.stringify(proxy.stats())}\n`);
        else process.stdout.write(`unknown command "${cmd}"; ${HELP}\n`);
      } catch (e) {
        process.stdout.write(`error: ${(e as Error).message}\n`);
      }
    });
  });
}
