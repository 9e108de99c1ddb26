// An upgrade refused by a gateway (HTTP 401) was told in transport.lastError and the
// `socket-error` log line as "WebSocket was closed before the connection was established":
// ws's message for core's own terminate() of the connecting socket, not the cause.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { LifelineError, StateChange } from '@lifeline/core';
import { createNodeClient, type NodeClient } from '../src/index';

let gateway: Server | null = null;
let client: NodeClient | null = null;
afterEach(async () => {
  await client?.close();
  await new Promise<void>((r) => (gateway ? gateway.close(() => r()) : r()));
  client = gateway = null;
});

/** A gateway answering every upgrade with `status`. */
async function refusingGateway(status: number, text: string): Promise<string> {
  gateway = createServer();
  gateway.on('upgrade', (_req, socket) => socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`));
  await new Promise<void>((r) => gateway!.listen(0, '127.0.0.1', r));
  return `ws://127.0.0.1:${(gateway.address() as AddressInfo).port}/v1`;
}

const nextTurns = () => new Promise<void>((r) => setImmediate(() => setImmediate(r)));

describe('an upgrade refused with an HTTP status', () => {
  it('is what transport.lastError and the socket-error line tell; a 401 stops the client for good', async () => {
    const url = await refusingGateway(401, 'Unauthorized');
    const warnings: Array<[string, Record<string, unknown> | undefined]> = [];
    const logger = { debug() {}, info() {}, error() {}, warn: (msg: string, meta?: Record<string, unknown>) => void warnings.push([msg, meta]) };
    let headerCalls = 0;
    const errors: LifelineError[] = [];
    client = createNodeClient({
      url,
      logger,
      headers: () => ({ 'x-api-key': `k${++headerCalls}` }),
      reconnect: { initialDelayMs: 10, maxDelayMs: 20 },
    });
    client.on('error', (e) => errors.push(e));
    const stopped = await new Promise<StateChange>((resolve) => client!.on('state', (e) => e.to === 'closed' && resolve(e)));
    // ws reports the abort of core's terminate() a tick later: it must not overwrite the cause.
    await nextTurns();
    expect(stopped).toMatchObject({ reason: 'terminal', retryInMs: null });
    expect(errors.map((e) => e.code)).toEqual(['CONNECTION_REFUSED']);
    expect(client.transport.lastError).toMatchObject({ message: 'upgrade refused: http 401', code: 'UPGRADE_REFUSED', statusCode: 401 });
    expect(warnings.filter(([msg]) => msg === 'socket-error')).toEqual([['socket-error', { url, code: 'UPGRADE_REFUSED', message: 'upgrade refused: http 401', statusCode: 401 }]]);
    // For good: the rotating headers function gets no further attempt.
    await nextTurns();
    expect(headerCalls).toBe(1);
    expect(client.state).toBe('closed');
  });

  it('a 503 (retried) is told the same way, attempt after attempt', async () => {
    const url = await refusingGateway(503, 'Service Unavailable');
    client = createNodeClient({ url, reconnect: { initialDelayMs: 10, maxDelayMs: 20 } });
    client.on('error', () => {});
    const retried = await new Promise<StateChange>((resolve) => client!.on('state', (e) => e.to === 'closed' && resolve(e)));
    await nextTurns();
    expect(retried.retryInMs).not.toBeNull();
    expect(client.transport.lastError).toMatchObject({ message: 'upgrade refused: http 503', statusCode: 503 });
  });
});
