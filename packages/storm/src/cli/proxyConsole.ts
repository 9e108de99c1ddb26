import type { ChaosProxy } from '../proxy/chaosProxy';
import { parseLatency } from '../values/duration';
import { parseNumber } from '../values/number';

export const CONSOLE_HELP = 'commands: cut [fraction] | blackhole | restore | latency MS|500ms|1s | bandwidth BYTES_PER_S|off | stats | quit';

/**
 * What one stdin line of `lifeline-storm proxy` (other than quit) does to the proxy, and
 * the line printed back ('' for a blank line). Every accepted command answers with what is
 * now in force: a silent one cannot be told from a line the proxy never read. `latency`
 * and `bandwidth` take what `--latency` and `--bandwidth` take, through the same parsers
 * (`latency 1s` was refused as not "a decimal number", `latency 0x10` set 16 ms); the
 * `cut` fraction's range is the proxy's to check, so `cut -1` gets its message.
 */
export function consoleAnswer(proxy: ChaosProxy, line: string): string {
  const [cmd, arg] = line.trim().split(/\s+/);
  const fraction = () => (arg === undefined ? 1 : parseNumber(cmd!, arg, 'signed'));
  try {
    if (!cmd) return '';
    if (cmd === 'cut') return `cut ${proxy.cut(fraction())} connection(s)\n`;
    if (cmd === 'blackhole') return `blackholed ${proxy.blackhole()} connection(s); new ones are ignored until restore\n`;
    if (cmd === 'restore') {
      proxy.restore();
      // It ends blackhole mode only: shaping stays as set, which is worth saying.
      return 'restored: new connections forward again (blackholed ones stay dead); latency and bandwidth unchanged\n';
    }
    if (cmd === 'latency') {
      const ms = arg === undefined ? 0 : parseLatency(cmd, arg);
      proxy.setLatency(ms);
      return `latency ${ms} ms each way, on every connection\n`;
    }
    if (cmd === 'bandwidth') {
      const bytesPerSec = arg === undefined || arg === 'off' ? null : parseNumber(cmd, arg, 'bytesPerSec');
      proxy.setBandwidth(bytesPerSec);
      return bytesPerSec === null ? 'bandwidth off: no cap\n' : `bandwidth ${bytesPerSec} B/s per connection and direction\n`;
    }
    if (cmd === 'stats') return `${JSON.stringify(proxy.stats())}\n`;
    return `unknown command "${cmd}"; ${CONSOLE_HELP}\n`;
  } catch (e) {
    return `error: ${(e as Error).message}\n`;
  }
}
