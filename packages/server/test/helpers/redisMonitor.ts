import { connect, type Socket } from 'node:net';

/** One command as Redis MONITOR shows it: its arguments, the command name first. */
export type MonitoredCommand = string[];

/**
 * Redis MONITOR over a raw socket, calling `onCommand` with each command's arguments.
 * ioredis' own monitor() threw "Command queue state error" (an uncaught exception failing
 * the file) when another client's UNSUBSCRIBE went by: test files run two at a time share
 * this Redis, so any of their commands may appear here.
 */
export async function monitorRedis(port: number, onCommand: (args: MonitoredCommand) => void): Promise<{ close(): void }> {
  const socket: Socket = connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.setEncoding('utf8');
  let buffered = '';
  let started!: () => void;
  const ready = new Promise<void>((resolve) => (started = resolve));
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    let end: number;
    while ((end = buffered.indexOf('\r\n')) >= 0) {
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      if (line === '+OK') started();
      else if (line.startsWith('+')) onCommand(parseMonitorLine(line));
    }
  });
  socket.on('error', () => {});
  socket.write('MONITOR\r\n');
  await ready;
  return { close: () => socket.destroy() };
}

/** `+1712.3 [0 127.0.0.1:5] "GET" "k\"x"` → ['GET', 'k"x'] (MONITOR quotes each argument, escapes as C). */
export function parseMonitorLine(line: string): MonitoredCommand {
  const args: string[] = [];
  const quoted = /"((?:[^"\\]|\\.)*)"/g;
  for (let m; (m = quoted.exec(line.slice(line.indexOf(']') + 1))); ) {
    args.push(m[1]!.replace(/\\x([0-9a-f]{2})|\\(.)/gi, (_, hex: string | undefined, c: string) => (hex ? String.fromCharCode(parseInt(hex, 16)) : c === 'n' ? '\n' : c === 'r' ? '\r' : c === 't' ? '\t' : c)));
  }
  return args;
}
