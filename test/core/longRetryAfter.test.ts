import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LifelineClient } from '@lifeline/core';
import { afterEach, describe, expect, it } from 'vitest';
import { makeClient, NodeWS, waitFor } from './helpers';

let http: Server | null = null;
const clients: LifelineClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await new Promise<void>((r) => (http ? http.close(() => r()) : r()));
  http = null;
});

describe('a very long Retry-After', () => {
  it('an HTTP 503 with Retry-After of 30 days is waited out, not turned into a reconnect loop', async () => {
    let upgrades = 0;
    http = createServer((_req, res) => res.end());
    http.on('upgrade', (_req, socket) => {
      upgrades++;
      socket.end('HTTP/1.1 503 Service Unavailable\r\nRetry-After: 2592000\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    });
    await new Promise<void>((r) => http!.listen(0, '127.0.0.1', r));
    const { port } = http.address() as AddressInfo;
    const retries: Array<number | null> = [];
    const client = makeClient(clients, `ws://127.0.0.1:${port}/v1`, { WebSocket: NodeWS });
    client.on('state', (s) => {
      if (s.to === 'closed') retries.push(s.retryInMs);
    });
    await waitFor(() => retries.length > 0, 'the refusal');
    // Delays of 2^31 ms or more fire after ~1 ms in Node: a loop would make hundreds here.
    await new Promise((r) => setTimeout(r, 300));
    expect(upgrades).toBe(1);
    expect(retries[0]).toBeGreaterThanOrEqual(2_592_000_000);
  });
});
