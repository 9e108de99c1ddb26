import { Agent as HttpsAgent } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import selfsigned from 'selfsigned';
import type { StateChange } from '@lifeline/core';
import { createServer, type LifelineServer } from '@lifeline/server';
import { createNodeClient, type NodeClient } from '../src/index';
import { waitFor } from './fixtures/fakeChannel';

// Headers, agent and TLS given to createNodeClient (not to the lower-level socket class)
// reach a real Lifeline server over wss:// on port 0. The server admits only one Origin,
// so the header is proven by the server's own decision.

let server: LifelineServer;
let ca: string;
const clients: NodeClient[] = [];

beforeAll(async () => {
  const pems = await selfsigned.generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keySize: 2048,
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  });
  ca = pems.cert;
  server = await createServer({ port: 0, tls: { key: pems.private, cert: pems.cert }, allowedOrigins: ['https://billing.internal'] });
}, 30_000);
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await server?.close();
});

class CountingAgent extends HttpsAgent {
  connections = 0;
  override createConnection(...args: Parameters<HttpsAgent['createConnection']>) {
    this.connections += 1;
    return super.createConnection(...args);
  }
}

describe('transport options through createNodeClient (real server, wss://, self-signed CA)', () => {
  it('uses the agent and the private CA, and sends the header function’s headers on each attempt', async () => {
    expect(server.url).toMatch(/^wss:/);
    const agent = new CountingAgent();
    let calls = 0;
    const client = createNodeClient({
      url: `${server.url}/v1`,
      agent,
      tls: { ca },
      headers: () => {
        calls += 1;
        return { origin: 'https://billing.internal' };
      },
      reconnect: { initialDelayMs: 20, maxDelayMs: 50 },
    });
    clients.push(client);
    await waitFor(() => client.state === 'open', 10_000, 'open over TLS');
    expect(agent.connections).toBe(1);
    expect(calls).toBe(1);
    const result = await client.channel('tls-orders').publish({ n: 1 });
    expect(result.offset).toBe(1);
    // A new connection calls the header function again (rotated credentials).
    client.transport.socket!.terminate();
    await waitFor(() => calls === 2 && client.state === 'open', 10_000, 'reconnected');
    expect(agent.connections).toBe(2);
    agent.destroy();
  });

  it('a header function that fails (throws, or returns an invalid value) fails that attempt only: retried with backoff, then connects', async () => {
    const results: Array<() => Record<string, string>> = [
      () => {
        throw new Error('vault unreachable');
      },
      () => ({ origin: 'https://billing.internal\n' }), // a credential read with its newline
      () => ({ origin: 'https://billing.internal' }),
    ];
    let calls = 0;
    const states: StateChange[] = [];
    const client = createNodeClient({
      url: `${server.url}/v1`,
      tls: { ca },
      headers: () => results[Math.min(calls++, 2)]!(),
      reconnect: { initialDelayMs: 10, maxDelayMs: 20 },
    });
    clients.push(client);
    client.on('state', (e) => states.push(e));
    await waitFor(() => client.state === 'open', 10_000, 'open on the third attempt');
    expect(calls).toBe(3);
    expect(states.filter((e) => e.to === 'closed').map((e) => [e.reason, e.retryInMs !== null])).toEqual([
      ['socket-closed', true],
      ['socket-closed', true],
    ]);
    expect(client.transport.lastError?.message).toMatch(/header.*origin/i);
  });

  it('control: with an Origin not allowed the server refuses the upgrade (4001); without the CA TLS fails, and the adapter says why', async () => {
    const noHeader = createNodeClient({ url: `${server.url}/v1`, tls: { ca }, headers: { origin: 'https://evil.example' }, reconnect: { initialDelayMs: 60_000 } });
    const warnings: Array<[string, Record<string, unknown> | undefined]> = [];
    const logger = { debug() {}, info() {}, error() {}, warn: (msg: string, meta?: Record<string, unknown>) => warnings.push([msg, meta]) };
    const noCa = createNodeClient({ url: `${server.url}/v1`, logger, reconnect: { initialDelayMs: 60_000 } });
    clients.push(noHeader, noCa);
    const closed = (c: NodeClient) =>
      new Promise<StateChange>((resolve) => c.on('state', (e) => e.to === 'closed' && resolve(e)));
    const [refused, untrusted] = await Promise.all([closed(noHeader), closed(noCa)]);
    expect(refused).toMatchObject({ closeCode: 4001, closeReason: 'origin not allowed' });
    expect(untrusted.closeCode).toBe(1006); // the TLS handshake failed: no upgrade at all
    expect(noCa.state).not.toBe('open');
    // Core sees only a failed socket (1006); why it failed is the adapter's to tell.
    const tlsCode = expect.stringMatching(/SELF_SIGNED|UNABLE_TO_VERIFY|DEPTH_ZERO/);
    expect(noCa.transport.lastError).toMatchObject({ code: tlsCode });
    expect(warnings).toContainEqual(['socket-error', expect.objectContaining({ code: tlsCode, url: `${server.url}/v1` })]);
    expect(noHeader.transport.lastError).toBeNull(); // a refusal after the upgrade is not a socket error
  });
});
