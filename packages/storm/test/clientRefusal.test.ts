// The core client's 'error' events had no listener, so core printed each one (a stack
// trace per client per error), and a client that gave up for good (HTTP 404, a refused
// token) left the warm-up waiting its full 30 s. The lite client reported nothing at all.
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocketServer } from 'ws';
import { isStormError } from '../src/errors';
import { runStorm } from '../src/sim/runStorm';
import { Shard } from '../src/sim/shard';
import { liteClientFactory } from '../src/sim/clients/liteClient';

let server: Server | null = null;
let wss: WebSocketServer | null = null;
afterEach(async () => {
  vi.restoreAllMocks();
  await new Promise<void>((r) => (wss ? wss.close(() => r()) : r()));
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = wss = null;
});

/** A WebSocket server on loopback that answers each `hello` with `answer`. */
async function wsServer(answer: (ws: import('ws').WebSocket) => void): Promise<number> {
  wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  wss.on('connection', (ws) => ws.once('message', () => answer(ws)));
  await new Promise<void>((r) => wss!.once('listening', () => r()));
  return (wss.address() as { port: number }).port;
}

describe('a client that gives up for good during warm-up', () => {
  it.each(['core', 'lite'] as const)('fails the run at once with its reason (HTTP 404 → CONNECTION_REFUSED), nothing printed (%s client)', async (client) => {
    // A plain HTTP server on loopback: every WebSocket upgrade gets a 404.
    server = createServer((_req, res) => res.writeHead(404).end());
    server.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n'));
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const { port } = server.address() as { port: number };
    const printed = vi.spyOn(console, 'error').mockImplementation(() => {});
    const t0 = Date.now();
    const e = await runStorm({ scenario: 'blip', target: `ws://127.0.0.1:${port}`, clients: 3, channels: 1, workers: 0, client, durationMs: 1000 }).catch((x: unknown) => x);
    expect(isStormError(e, 'RUN_FAILED'), String(e)).toBe(true);
    expect((e as Error).message).toMatch(/^a client gave up during warm-up: CONNECTION_REFUSED: .*404/);
    expect(Date.now() - t0).toBeLessThan(10_000); // not the warm-up's 30 s
    expect(printed).not.toHaveBeenCalled();
  }, 45_000);

  it.each(['core', 'lite'] as const)('fails the run at once on a refused token (close 4100 → AUTH_FAILED) (%s client)', async (client) => {
    const port = await wsServer((ws) => ws.close(4100, 'bad token'));
    const t0 = Date.now();
    const e = await runStorm({ scenario: 'blip', target: `ws://127.0.0.1:${port}`, clients: 3, channels: 1, workers: 0, client, durationMs: 1000 }).catch((x: unknown) => x);
    expect(isStormError(e, 'RUN_FAILED'), String(e)).toBe(true);
    expect((e as Error).message).toMatch(/^a client gave up during warm-up: AUTH_FAILED: .*4100/);
    expect(Date.now() - t0).toBeLessThan(10_000);
  }, 45_000);
});

describe("the lite client's errors in the run's counts", () => {
  it('counts an error frame from the server by code, without giving up', async () => {
    const port = await wsServer((ws) => ws.send(JSON.stringify({ type: 'error', code: 'BAD_FIELD', message: 'no', ref: 0 })));
    const shard = new Shard(
      { targets: [`ws://127.0.0.1:${port}`], from: 0, to: 2, channels: ['c'], strategy: 'full', serverHint: true, initialDelayMs: 500, maxDelayMs: 30_000, seed: 1, client: 'lite', connectRate: 1000, direct: true },
      liteClientFactory,
    );
    await shard.start();
    try {
      await vi.waitFor(() => expect(shard.collect([[]]).clientErrors).toEqual({ SERVER_ERROR: 2 }), { timeout: 5_000 });
      expect(shard.status().refusal).toBeNull();
    } finally {
      await shard.close();
    }
  });
});
