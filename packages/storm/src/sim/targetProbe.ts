import { connect } from 'node:net';
import { StormError } from '../errors';
import { parseEndpoint } from '../proxy/address';
import { redactTarget } from '../proxy/targetText';

/** How long the probe waits for the TCP connect before it leaves the verdict to the warm-up, ms. */
export const TARGET_PROBE_MS = 2000;

/**
 * Opens (and closes) one TCP connection to an external `--target` before any client
 * starts. Nothing listening there used to cost the warm-up's whole limit (30 s and more)
 * and then said `errors: read ECONNRESET` (the proxy accepts the clients and resets them
 * when its own connect is refused), never that the server was not running.
 *
 * Rejects with StormError('DEPENDENCY_MISSING') naming the address and the system's code
 * when the connect fails. A connect still pending after `timeoutMs` (a full listen backlog,
 * a loaded server) is not a failure: the warm-up, with its own limit, judges that.
 */
export function probeTarget(target: string, timeoutMs = TARGET_PROBE_MS): Promise<void> {
  const { host, port } = parseEndpoint(target);
  return new Promise<void>((resolve, reject) => {
    const socket = connect({ host, port });
    const done = (err?: Error) => {
      clearTimeout(timer);
      socket.destroy();
      if (!err) return resolve();
      const code = (err as NodeJS.ErrnoException).code ?? err.message;
      const why = code === 'ECONNREFUSED' ? 'nothing is listening there' : 'the connection failed';
      reject(new StormError('DEPENDENCY_MISSING', `target ${redactTarget(target)} does not accept connections: ${code} at ${host}:${port} (${why}): start the server first, or check --target`, { cause: err }));
    };
    const timer = setTimeout(() => done(), timeoutMs);
    socket.once('connect', () => done());
    socket.once('error', (err) => done(err));
  });
}
