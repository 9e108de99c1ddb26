import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import type { LifelineClient, StateChange } from '@lifeline/core';
import { afterEach, describe, expect, it } from 'vitest';
import { makeClient, waitFor } from './helpers';

const clients: LifelineClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

/** A loopback port nothing listens on: listen, note the port, close. */
async function refusingPort(): Promise<number> {
  const probe = createTcpServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}

describe('a socket that fails without a close reason (Node)', () => {
  it('reports the socket error (ECONNREFUSED) as closeReason of the state change, so a user can tell why', async () => {
    const port = await refusingPort();
    const client = makeClient(clients, `ws://127.0.0.1:${port}/v1`, { reconnect: { initialDelayMs: 50, maxDelayMs: 100, maxAttempts: 1 } });
    const changes: StateChange[] = [];
    client.on('state', (s) => changes.push(s));
    await waitFor(() => changes.some((s) => s.to === 'closed'), 'the failed attempt to close');
    const closed = changes.find((s) => s.to === 'closed')!;
    expect(closed.closeCode).toBe(1006);
    expect(closed.closeReason).toContain('ECONNREFUSED');
  });
});
