// HTTP across a drain or a close (operator trial, B4): a POST /v1/publish whose body was
// still arriving at SIGTERM got ECONNRESET while the server exited 0, so its backend could
// not tell whether it was stored. A drain now answers the requests in progress within its
// deadline, tells keep-alive callers to go (`Connection: close`) and closes idle
// connections; close() still cuts, but not an answer being worked out (a publish waiting
// on the broker).
import { request, Agent, type IncomingMessage } from 'node:http';
import { connect as netConnect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryBroker, type Broker } from '../src/index';
import { useServer } from './helpers/serverFixture';
import { waitFor } from './helpers/waitFor';

const { start, connect } = useServer();
const brokers: Broker[] = [];
afterEach(async () => {
  for (const b of brokers.splice(0)) await b.close();
});

const rawOf = (c: { ws: unknown }) => (c.ws as { _socket: { pause(): void; resume(): void } })._socket;

/** Raw HTTP: everything the server writes back on `socket`, and whether it ended or was reset. */
function rawConn(port: number): { socket: Socket; text: () => string; ended: Promise<string> } {
  const socket = netConnect({ port, host: '127.0.0.1' });
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => (text += d));
  const ended = new Promise<string>((resolve) => {
    socket.on('error', (err: NodeJS.ErrnoException) => resolve(`error ${err.code}`));
    socket.on('close', () => resolve('closed'));
  });
  return { socket, text: () => text, ended };
}

const publishHead = (body: string): string =>
  `POST /v1/publish HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`;

describe('HTTP across a drain', () => {
  it('a publish whose body is still arriving when the drain starts is answered (stored), not reset', async () => {
    const broker = memoryBroker();
    brokers.push(broker);
    const server = await start({ broker });
    const body = JSON.stringify({ channel: 'room:1', data: 'x'.repeat(100), id: 'slow-1' });
    const conn = rawConn(server.port);
    conn.socket.write(publishHead(body) + body.slice(0, 20));
    // Ordering only, not timing: the server has read the headers (the request is in progress)
    // before the drain begins; a connection with no request yet is idle, and closed by it.
    await new Promise((r) => setTimeout(r, 100));
    let drained = false;
    const draining = server.drain({ timeoutMs: 5000 }).then(() => (drained = true));
    await new Promise((r) => setTimeout(r, 200));
    expect(drained).toBe(false); // waiting for the request, not cutting it
    conn.socket.write(body.slice(20));
    await draining;
    expect(await conn.ended).toBe('closed');
    expect(conn.text()).toMatch(/^HTTP\/1\.1 200 /);
    expect(conn.text().toLowerCase()).toContain('connection: close');
    expect(JSON.parse(conn.text().slice(conn.text().indexOf('\r\n\r\n') + 4))).toMatchObject({ offset: 1 });
    // stored: the same id again is a duplicate of offset 1
    expect(await broker.publish('room:1', 'again', 'slow-1')).toMatchObject({ offset: 1, duplicate: true });
  });

  it('a request still unanswered at the drain deadline is cut then, and the deadline holds', async () => {
    const server = await start();
    const body = JSON.stringify({ channel: 'room:1', data: 'x' });
    const conn = rawConn(server.port);
    conn.socket.write(publishHead(body) + body.slice(0, 5));
    await new Promise((r) => setTimeout(r, 100)); // ordering only
    const t0 = Date.now();
    await server.drain({ timeoutMs: 300 });
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(await conn.ended).not.toBe('open');
    expect(conn.text()).toBe('');
  });

  it('while draining: a new keep-alive request is answered with Connection: close, an idle keep-alive connection is closed', async () => {
    const server = await start();
    const straggler = await connect();
    rawOf(straggler).pause(); // holds the drain open until its deadline
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const get = (path: string): Promise<{ res: IncomingMessage; socket: Socket }> =>
      new Promise((resolve, reject) => {
        const req = request(`${server.httpUrl}${path}`, { agent }, (res) => {
          const socket = res.socket as Socket;
          res.resume();
          res.on('end', () => resolve({ res, socket }));
        });
        req.on('error', reject);
        req.end();
      });
    const before = await get('/livez');
    expect(before.res.headers.connection).toBe('keep-alive');
    const idleSocket = before.socket;
    const idleClosed = new Promise<void>((r) => idleSocket.once('close', () => r()));
    const draining = server.drain({ timeoutMs: 1000 });
    await idleClosed; // closed by the drain, not by the agent
    const { res: during } = await get('/livez');
    expect(during.statusCode).toBe(200);
    expect(during.headers.connection).toBe('close');
    rawOf(straggler).resume();
    await draining;
    agent.destroy();
  });
});

describe('HTTP across a close', () => {
  it('close() lets a publish waiting on the broker be answered instead of cutting it', async () => {
    const inner = memoryBroker();
    brokers.push(inner);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let waiting = false;
    const broker: Broker = Object.assign(Object.create(inner) as Broker, {
      publish: async (channel: string, data: unknown, id?: string, user?: string) => {
        waiting = true;
        await gate;
        return inner.publish(channel, data, id, user);
      },
    });
    const server = await start({ broker });
    const answer = fetch(`${server.httpUrl}/v1/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ channel: 'room:1', data: 1, id: 'p-1' }),
    }).then(async (res) => ({ status: res.status, body: (await res.json()) as unknown }));
    await waitFor(() => waiting, 'the publish to reach the broker');
    const closing = server.close();
    setTimeout(release, 200);
    await closing;
    expect(await answer).toEqual({ status: 200, body: { offset: 1, epoch: expect.any(String) } });
  });
});
