// A trial ran `blip --target ws://127.0.0.1:1` (server not started): it waited the warm-up's
// whole 30 s, then failed with `errors: read ECONNRESET ×386`, which never said that
// nothing was listening there.
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { isStormError } from '../src/errors';
import { runStorm } from '../src/sim/runStorm';
import { probeTarget } from '../src/sim/targetProbe';
import { startEcho } from './helpers';

/** A loopback port nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('an external --target that is not running', () => {
  it('fails the run at once with DEPENDENCY_MISSING naming the address and ECONNREFUSED', async () => {
    const port = await closedPort();
    const started = Date.now();
    const outcome = await Promise.race([
      runStorm({ scenario: 'blip', clients: 5, target: `ws://127.0.0.1:${port}`, durationMs: 1000, workers: 0 }).then(
        () => 'resolved',
        (e: unknown) => e,
      ),
      new Promise((r) => setTimeout(() => r('still waiting after 8 s'), 8000)),
    ]);
    expect(isStormError(outcome, 'DEPENDENCY_MISSING'), String(outcome)).toBe(true);
    expect((outcome as Error).message).toContain(`ECONNREFUSED at 127.0.0.1:${port} (nothing is listening there)`);
    expect(Date.now() - started).toBeLessThan(5000);
  }, 15_000);

  it('a listening target passes the probe (host:port and ws:// forms)', async () => {
    const echo = await startEcho();
    try {
      await expect(probeTarget(`127.0.0.1:${echo.port}`)).resolves.toBeUndefined();
      await expect(probeTarget(`ws://127.0.0.1:${echo.port}/v1`)).resolves.toBeUndefined();
    } finally {
      await echo.close();
    }
  });
});
