import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { probedWebSocket } from '../src/sim/countingSocket';
import { waitFor } from './helpers';

let server: Server | undefined;
afterEach(async () => {
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
});

/** A server that answers every upgrade with 503, as admission control does. */
async function refusingServer(): Promise<number> {
  server = createServer();
  server.on('upgrade', (_req, socket) => {
    socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 1\r\nContent-Length: 0\r\n\r\n');
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

describe('probed WebSocket', () => {
  it('counts a 503 refusal as a refusal and as "HTTP 503", not as a dropped 1006 connection', async () => {
    const port = await refusingServer();
    const seen = { attempts: 0, refused: 0, closes: [] as (number | string)[] };
    const WS = probedWebSocket(
      { attempt: () => seen.attempts++, refused: () => seen.refused++, closed: (c) => seen.closes.push(c) },
      true,
    );
    const ws = new WS(`ws://127.0.0.1:${port}/v1`);
    ws.on('unexpected-response', () => ws.close()); // what core does with a refusal
    ws.on('error', () => undefined);
    await waitFor(() => seen.closes.length === 1, 10_000, 'close');
    expect(seen).toEqual({ attempts: 1, refused: 1, closes: ['HTTP 503'] });
  });
});
