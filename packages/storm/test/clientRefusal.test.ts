// The core client's 'error' events had no listener, so core printed each one (a stack
// trace per client per error), and a client that gave up for good (HTTP 404, a refused
// token) left the warm-up waiting its full 30 s.
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isStormError } from '../src/errors';
import { runStorm } from '../src/sim/runStorm';

let server: Server | null = null;
afterEach(async () => {
  vi.restoreAllMocks();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = null;
});

describe('a client that gives up for good during warm-up', () => {
  it('fails the run at once with its reason (HTTP 404 → CONNECTION_REFUSED), nothing printed by core', async () => {
    // A plain HTTP server on loopback: every WebSocket upgrade gets a 404.
    server = createServer((_req, res) => res.writeHead(404).end());
    server.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n'));
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const { port } = server.address() as { port: number };
    const printed = vi.spyOn(console, 'error').mockImplementation(() => {});
    const t0 = Date.now();
    const e = await runStorm({ scenario: 'blip', target: `ws://127.0.0.1:${port}`, clients: 3, channels: 1, workers: 0, client: 'core', durationMs: 1000 }).catch((x: unknown) => x);
    expect(isStormError(e, 'RUN_FAILED'), String(e)).toBe(true);
    expect((e as Error).message).toMatch(/^a client gave up during warm-up: CONNECTION_REFUSED: .*404/);
    expect(Date.now() - t0).toBeLessThan(10_000); // not the warm-up's 30 s
    expect(printed).not.toHaveBeenCalled();
  }, 45_000);
});
