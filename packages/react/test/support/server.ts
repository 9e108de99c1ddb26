import { createServer, type LifelineServer } from '@lifeline/server';

/** A reference server on a free loopback port with fault hooks, silent logs. */
export async function startServer(): Promise<LifelineServer & { faults: NonNullable<LifelineServer['faults']> }> {
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  const server = await createServer({ port: 0, host: '127.0.0.1', faults: true, logger: quiet });
  if (!server.faults) throw new Error('server started without fault hooks');
  return server as LifelineServer & { faults: NonNullable<LifelineServer['faults']> };
}

/** Frames of one type the server received so far. */
export const framesIn = (server: LifelineServer, type: string): number => server.stats().framesIn[type] ?? 0;

/** Polls `check` until it returns true, failing after `timeoutMs`. */
export async function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
