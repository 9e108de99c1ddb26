// The open items of the security review: slow HTTP requests, the HTTP publish rate
// limit, and /echo on a server with a secret.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { generate } from 'selfsigned';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, signToken, type LifelineServer } from '../src/index';
import { httpTimeouts } from '../src/createServer';
import { KeyedBuckets, MAX_BUCKET_KEYS } from '../src/tokenBucket';
import { FakeClock } from './helpers/fakeClock';
import { useServer } from './helpers/serverFixture';

const SECRET = 'hardening-secret';
const { start, connect, open } = useServer();
const sockets: Socket[] = [];
// Registered after useServer(): runs before it closes the server.
afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
});

/** Writes `text` on a raw connection and never finishes the request; resolves with what the server sent once it closes. */
function stall(socket: Socket, text: string): Promise<{ answer: string; ms: number }> {
  sockets.push(socket);
  const started = Date.now();
  let answer = '';
  socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
  socket.on('error', () => undefined);
  socket.write(text);
  return new Promise((resolve) => socket.once('close', () => resolve({ answer, ms: Date.now() - started })));
}
const rawHttp = (s: LifelineServer) => netConnect(s.port, '127.0.0.1');

describe('slow HTTP requests (httpTimeoutMs)', () => {
  it('maps to Node\'s timeouts: headers within min(10 s, it), the request within it, checked often enough; Infinity turns them off', () => {
    expect(httpTimeouts(30_000)).toEqual({ headersTimeout: 10_000, requestTimeout: 30_000, connectionsCheckingInterval: 1000 });
    expect(httpTimeouts(200)).toEqual({ headersTimeout: 200, requestTimeout: 200, connectionsCheckingInterval: 50 });
    expect(httpTimeouts(0.5)).toEqual({ headersTimeout: 1, requestTimeout: 1, connectionsCheckingInterval: 1 });
    expect(httpTimeouts(Infinity)).toMatchObject({ headersTimeout: 0, requestTimeout: 0 });
  });

  it('is a positive number: 0 or NaN is refused at start', async () => {
    await expect(createServer({ httpTimeoutMs: 0 })).rejects.toThrow(TypeError);
    await expect(createServer({ httpTimeoutMs: Number.NaN })).rejects.toThrow(/httpTimeoutMs/);
  });

  // Node's clock, not the injected one, times these out: real time, kept short.
  it('answers 408 and closes a request whose headers or body never finish, while WebSockets opened earlier stay up', async () => {
    const server = await start({ httpTimeoutMs: 200 });
    const echo = await open('/echo');
    const session = await connect();

    const [headers, body] = await Promise.all([
      stall(rawHttp(server), 'GET /healthz HTTP/1.1\r\nHost: x\r\n'),
      stall(rawHttp(server), 'POST /v1/publish HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n{"channel":'),
    ]);
    for (const cut of [headers, body]) {
      expect(cut.answer).toMatch(/^HTTP\/1\.1 408 /);
      expect(cut.ms).toBeLessThan(5000); // Node's defaults: 60 s for headers, 300 s for the request
    }

    // Both sockets are older than the timeout, and Node's check ran after it had passed
    // (it cut the requests above): upgraded connections are not requests any more.
    expect(echo.closed).toBeUndefined();
    const echoed = new Promise<string>((resolve) => echo.ws.once('message', (d) => resolve(String(d))));
    echo.ws.send('still here');
    expect(await echoed).toBe('still here');
    expect(session.closed).toBeUndefined();
    expect(await session.publish('alive', 1, 'a1')).toMatchObject({ type: 'ack', offset: 1 });
  });

  it('answers 408 to a stalled second request on a keep-alive connection too (an earlier response was written on it)', async () => {
    const server = await start({ httpTimeoutMs: 200 });
    const socket = rawHttp(server);
    let first = '';
    const answered = new Promise<void>((resolve) => {
      const onData = (d: Buffer) => {
        first += d.toString('latin1');
        if (/\r\n\r\n[\s\S]*\}$/.test(first)) {
          socket.off('data', onData);
          resolve();
        }
      };
      socket.on('data', onData);
    });
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await answered;
    expect(first).toMatch(/^HTTP\/1\.1 200 /);
    const cut = await stall(socket, 'GET /healthz HTTP/1.1\r\nHost: x\r\n');
    expect(cut.answer).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('applies to https too', async () => {
    const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
      keySize: 2048,
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
    } as never);
    const server = await start({ tls: { cert: pems.cert, key: pems.private }, httpTimeoutMs: 200 });
    const wss = await connect({}, { ca: pems.cert });
    const cut = await stall(tlsConnect({ port: server.port, host: '127.0.0.1', ca: pems.cert }), 'GET /healthz HTTP/1.1\r\nHost: x\r\n');
    expect(cut.answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(wss.closed).toBeUndefined();
    expect(await wss.publish('alive', 1, 'a1')).toMatchObject({ type: 'ack', offset: 1 });
  });
});

describe('HTTP publish rate limit', () => {
  const post = (s: LifelineServer, channel: string, token?: string, body?: string) =>
    fetch(`${s.httpUrl}/v1/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body ?? JSON.stringify({ channel, data: 1 }),
    });
  const statuses = async (n: number, send: () => Promise<Response>): Promise<number[]> => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const res = await send();
      await res.arrayBuffer();
      out.push(res.status);
    }
    return out;
  };

  it('open server: a bucket per remote address of httpPublishPerSec/httpPublishBurst; beyond it 429 RATE_LIMITED with Retry-After and x-retry-after-ms, before the body is read', async () => {
    const clock = new FakeClock();
    const server = await start({ clock, httpPublishPerSec: 2, httpPublishBurst: 3 });
    // Bad bodies draw on the bucket too: parsing them is work as well.
    expect(await statuses(3, () => post(server, 'room', undefined, 'not json'))).toEqual([400, 400, 400]);
    const refused = await post(server, 'room');
    expect(refused.status).toBe(429);
    expect(await refused.json()).toEqual({ code: 'RATE_LIMITED', message: 'above 2 publishes/s; retry in 500 ms' });
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.headers.get('x-retry-after-ms')).toBe('500');
    expect(refused.headers.get('connection')).toBe('close');
    // Answered on the headers alone: a body that never ends does not hold the refusal up.
    const endless = await stall(rawHttp(server), 'POST /v1/publish HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n{"channel":"room",');
    expect(endless.answer).toMatch(/^HTTP\/1\.1 429 [\s\S]*"code":"RATE_LIMITED"/);
    clock.advance(250);
    expect((await post(server, 'room')).headers.get('x-retry-after-ms')).toBe('250');
    clock.advance(250);
    expect(await statuses(2, () => post(server, 'room'))).toEqual([200, 429]);
    // A WebSocket connection has buckets of its own.
    const ws = await connect();
    expect(await ws.publish('room', 2, 'w1')).toMatchObject({ type: 'ack' });
  });

  it('with a secret: a bucket per token subject (sub; the token itself when it has none), refused requests never reaching the broker', async () => {
    const clock = new FakeClock();
    const server = await start({ clock, authSecret: SECRET, httpPublishPerSec: 1, httpPublishBurst: 2 });
    const exp = Math.floor(clock.now() / 1000) + 3600;
    const ada1 = signToken({ sub: 'ada', exp }, SECRET);
    const ada2 = signToken({ sub: 'ada', exp, publish: ['*'] }, SECRET); // another token, same subject
    const bob = signToken({ sub: 'bob', exp }, SECRET);
    const anon1 = signToken({ exp }, SECRET);
    const anon2 = signToken({ exp, publish: ['room'] }, SECRET);
    expect(await statuses(2, () => post(server, 'room', ada1))).toEqual([200, 200]);
    const refused = await post(server, 'room', ada2);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.headers.get('x-retry-after-ms')).toBe('1000');
    expect(await statuses(3, () => post(server, 'room', bob))).toEqual([200, 200, 429]);
    expect(await statuses(3, () => post(server, 'room', anon1))).toEqual([200, 200, 429]);
    expect(await statuses(3, () => post(server, 'room', anon2))).toEqual([200, 200, 429]);
    // A request without a valid token is refused first (401) and spends nobody's tokens.
    expect((await post(server, 'room', 'forged')).status).toBe(401);
    clock.advance(1000);
    const ok = await post(server, 'room', ada1);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ offset: 9 }); // 8 accepted before it: none of the refused was stored
  });

  it('httpPublishPerSec: Infinity never refuses', async () => {
    const server = await start({ httpPublishPerSec: Infinity, httpPublishBurst: 1 });
    expect(new Set(await statuses(20, () => post(server, 'room')))).toEqual(new Set([200]));
  });
});

describe('KeyedBuckets (fake clock)', () => {
  it('keeps a bucket per key and drops those full again, so callers that stopped hold no memory', () => {
    const clock = new FakeClock();
    const b = new KeyedBuckets(10, 2, clock); // an emptied bucket is full after 200 ms
    for (let i = 0; i < 1000; i++) expect(b.take(`k${i}`)).toBe(0);
    expect(b.size).toBe(1000);
    expect([b.take('k0'), b.take('k0')]).toEqual([0, 100]);
    clock.advance(150);
    expect(b.take('new')).toBe(0); // k1…k999 (one token short, 150 ms ago) are full: dropped
    expect(b.size).toBe(2); // k0, still short of its burst, and 'new'
    clock.advance(200);
    b.take('other');
    expect(b.size).toBe(1);
  });

  it('a dropped key comes back with a full bucket, which is exactly what it had', () => {
    const clock = new FakeClock();
    const b = new KeyedBuckets(1, 3, clock);
    expect([b.take('a'), b.take('a'), b.take('a'), b.take('a')]).toEqual([0, 0, 0, 1000]);
    clock.advance(3000);
    b.take('b');
    expect(b.size).toBe(1);
    expect([b.take('a'), b.take('a'), b.take('a'), b.take('a')]).toEqual([0, 0, 0, 1000]);
  });

  it('holds at most maxKeys buckets even when every caller is active, dropping the least recently used', () => {
    const clock = new FakeClock();
    const b = new KeyedBuckets(1, 5, clock, 100);
    for (let i = 0; i < 1000; i++) b.take(`k${i}`);
    expect(b.size).toBe(100);
    // k999 is still known (4 tokens left), k0 was dropped and starts over.
    expect([b.take('k999'), b.take('k999'), b.take('k999'), b.take('k999'), b.take('k999')]).toEqual([0, 0, 0, 0, 1000]);
    expect(MAX_BUCKET_KEYS).toBe(10_000);
  });
});

describe('/echo with a secret', () => {
  const upgradeStatus = (path: string): Promise<number> =>
    open(path).then(
      () => 101,
      (err: Error) => Number(/HTTP (\d+)/.exec(err.message)?.[1] ?? NaN),
    );

  it('is off by default when authSecret is set: 404 like any unknown path, upgrade or plain GET; /v1 unaffected', async () => {
    const server = await start({ authSecret: SECRET });
    expect(await upgradeStatus('/echo')).toBe(404);
    expect((await fetch(`${server.httpUrl}/echo`)).status).toBe(404);
    const token = signToken({ sub: 'ada' }, SECRET);
    await connect({ token });
    expect(server.stats().connections).toBe(1);
  });

  it('is on by default on an open server, and echo: false turns it off there', async () => {
    let server = await start();
    expect(await upgradeStatus('/echo')).toBe(101);
    await server.close();
    server = await start({ echo: false });
    expect(await upgradeStatus('/echo')).toBe(404);
    expect((await fetch(`${server.httpUrl}/echo`)).status).toBe(404);
  });

  it('echo: true serves it with a secret, unauthenticated, and the server warns so', async () => {
    const warnings: string[] = [];
    const noop = () => undefined;
    await start({ authSecret: SECRET, echo: true, logger: { debug: noop, info: noop, error: noop, warn: (m: string) => warnings.push(m) } });
    expect(warnings).toEqual([expect.stringMatching(/\/echo takes no token/)]);
    const c = await open('/echo');
    const echoed = new Promise<string>((resolve) => c.ws.once('message', (d) => resolve(String(d))));
    c.ws.send('hi');
    expect(await echoed).toBe('hi');
  });

  it('echo must be a boolean', async () => {
    await expect(createServer({ echo: 'yes' as never })).rejects.toThrow(/echo must be a boolean/);
  });
});
