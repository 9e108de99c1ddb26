import { createServer as createHttpServer, Agent, type IncomingMessage } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import selfsigned from 'selfsigned';
import { createNodeWebSocket, toWsOptions } from '../src/nodeSocket';

type Closer = () => Promise<void>;
const closers: Closer[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

/** A real ws server on an ephemeral loopback port that records each upgrade request. */
async function startServer(opts: { tls?: { key: string; cert: string }; perMessageDeflate?: boolean } = {}) {
  const requests: IncomingMessage[] = [];
  const server = opts.tls ? createHttpsServer(opts.tls) : createHttpServer();
  const wss = new WebSocketServer({ server, perMessageDeflate: opts.perMessageDeflate ?? false });
  wss.on('connection', (socket, req) => {
    requests.push(req);
    socket.on('message', (data) => socket.send(data.toString()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  closers.push(async () => {
    for (const c of wss.clients) c.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { requests, url: `${opts.tls ? 'wss' : 'ws'}://127.0.0.1:${port}/v1` };
}

function opened(ws: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
}

function track(ws: WebSocket): WebSocket {
  closers.push(async () => {
    ws.terminate();
  });
  return ws;
}

describe('createNodeWebSocket', () => {
  it('sends the configured headers on the upgrade, re-reading a header function per connection', async () => {
    const { requests, url } = await startServer();
    let n = 0;
    const Ctor = createNodeWebSocket({ headers: () => ({ authorization: `Bearer t${++n}`, 'x-team': 'orders' }) });
    for (let i = 0; i < 2; i++) await opened(track(new Ctor(url) as unknown as WebSocket));
    expect(requests.map((r) => r.headers.authorization)).toEqual(['Bearer t1', 'Bearer t2']);
    expect(requests[0]!.headers['x-team']).toBe('orders');
  });

  it('reports every socket it creates and uses the given agent for the upgrade', async () => {
    const { url } = await startServer();
    let connections = 0;
    class CountingAgent extends Agent {
      override createConnection(...args: Parameters<Agent['createConnection']>) {
        connections += 1;
        return super.createConnection(...args);
      }
    }
    const agent = new CountingAgent();
    closers.push(async () => agent.destroy());
    const seen: WebSocket[] = [];
    const Ctor = createNodeWebSocket({ agent }, (s) => seen.push(s));
    const ws = track(new Ctor(url) as unknown as WebSocket);
    await opened(ws);
    expect(connections).toBe(1);
    expect(seen).toEqual([ws]);
    expect(typeof ws.pause).toBe('function');
  });

  it('connects over TLS with a custom CA and refuses the same server without it', async () => {
    const pems = await selfsigned.generate([{ name: 'commonName', value: '127.0.0.1' }], {
      keySize: 2048,
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
    });
    const { url } = await startServer({ tls: { key: pems.private, cert: pems.cert } });
    const Trusting = createNodeWebSocket({ tls: { ca: pems.cert } });
    await opened(track(new Trusting(url) as unknown as WebSocket));
    const Default = createNodeWebSocket({});
    const error = await opened(track(new Default(url) as unknown as WebSocket)).then(
      () => null,
      (e: Error & { code?: string }) => e,
    );
    expect(error?.code).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY|DEPTH_ZERO/);
  });

  it('negotiates permessage-deflate only when asked (off by default)', async () => {
    const { url } = await startServer({ perMessageDeflate: true });
    const Off = createNodeWebSocket({});
    const off = track(new Off(url) as unknown as WebSocket);
    await opened(off);
    expect(off.extensions).toBe('');
    const On = createNodeWebSocket({ perMessageDeflate: true });
    const on = track(new On(url) as unknown as WebSocket);
    await opened(on);
    expect(on.extensions).toContain('permessage-deflate');
    const echoed = new Promise<string>((resolve) => on.once('message', (d) => resolve(d.toString())));
    on.send('x'.repeat(10_000));
    expect(await echoed).toHaveLength(10_000);
  });

  it('maps options to ws option names with documented defaults', () => {
    expect(toWsOptions({})).toEqual({ perMessageDeflate: false, handshakeTimeout: 10_000, maxPayload: 1_048_576 });
    const o = toWsOptions({ headers: { a: 'b' }, handshakeTimeoutMs: 5, maxPayloadBytes: 7, tls: { rejectUnauthorized: false } });
    expect(o).toMatchObject({ headers: { a: 'b' }, handshakeTimeout: 5, maxPayload: 7, rejectUnauthorized: false });
  });
});
