import { createHmac } from 'node:crypto';
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { BrokerUnavailableError, createServer, memoryBroker, signToken, verifyToken } from '../src/index';
import { channelKeys } from '../src/broker/redisKeys';
import { FakeClock } from './helpers/fakeClock';
import { useServer } from './helpers/serverFixture';
import { waitFor } from './helpers/waitFor';

/**
 * Abuse cases from the security review: each one a single client holding server
 * resources without bound, or a token/request the server should not have accepted.
 */

const SECRET = 'security-secret';
const fixture = useServer();
const { start, connect, open } = fixture;

type Raw = { pause(): void; resume(): void };
const rawOf = (ws: WebSocket): Raw => (ws as unknown as { _socket: Raw })._socket;

const sign = (header: object, claims: object): string => {
  const h = Buffer.from(JSON.stringify(header)).toString('base64url');
  const p = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${h}.${p}.${createHmac('sha256', SECRET).update(`${h}.${p}`).digest('base64url')}`;
};

describe('/echo: a peer that does not read', () => {
  it('is closed with 1013 once maxBufferedBytes is queued for it, instead of the server buffering every echo', async () => {
    await start({ maxBufferedBytes: 1024 * 1024 });
    const c = await open('/echo');
    let echoes = 0;
    c.ws.on('message', () => echoes++);
    rawOf(c.ws).pause();
    const frame = Buffer.alloc(64 * 1024, 1);
    const total = 384; // 24 MiB: more than the loopback socket buffers hold, far above the limit
    for (let i = 0; i < total; i++) c.ws.send(frame);
    // Everything has left the client: what the server has not written out it holds in memory.
    await waitFor(() => c.ws.bufferedAmount === 0, 'the client to send everything', 30_000);
    rawOf(c.ws).resume();
    const closed = await c.waitClosed(30_000);
    expect(closed.code).toBe(1013);
    expect(closed.reason).toMatch(/slow consumer/);
    expect(echoes).toBeLessThan(total);
  }, 60_000);
});

describe('/v1: requests queued behind a channel operation that cannot finish', () => {
  it('stop being read from the socket once MAX_QUEUED_OPS are waiting, so one client cannot queue without bound', async () => {
    await start({ maxBufferedBytes: 2 * 1024 * 1024, publishPerSec: 1e6, publishBurst: 1e6 });
    const pub = await connect();
    const reader = await connect();
    const big = 'x'.repeat(30_000);
    for (let i = 1; i <= 300; i++) pub.send({ type: 'pub', ref: i, channel: 'big', data: big, id: `b${i}` });
    await pub.next('ack', (f) => f.ref === 300, 0, 20_000);
    const { epoch } = await pub.subscribe('big');

    // The reader asks for a 9 MB replay and does not read it: the subscribe waits on the
    // socket, and every later request on that channel queues behind it.
    rawOf(reader.ws).pause();
    reader.send({ type: 'sub', ref: 1, channel: 'big', since: { epoch, offset: 0 } });
    const flood = 4000;
    for (let i = 0; i < flood; i++) reader.send({ type: 'pub', ref: 10 + i, channel: 'big', data: i, id: `q${i}` });
    reader.send({ type: 'ping', t: 42 });
    await waitFor(() => reader.ws.bufferedAmount === 0, 'the reader to send everything', 20_000);
    rawOf(reader.ws).resume();
    const pong = await reader.next('pong', () => true, 0, 30_000);
    await reader.next('ack', (f) => f.ref === 10 + flood - 1, 0, 30_000).catch((err: Error) => {
      const types: Record<string, number> = {};
      for (const f of reader.frames) types[f.type] = (types[f.type] ?? 0) + 1;
      throw new Error(`${err.message}: ${JSON.stringify({ types, closed: reader.closed, last: reader.frames.filter((f) => f.type !== 'msg').slice(-3) })}`);
    });
    // Frames go out in the order the server produced them. Had it kept reading, the
    // ping (not a channel operation) would have been answered at once, ahead of every
    // queued publish; reads paused instead, so most publishes were answered first (all
    // but MAX_QUEUED_OPS and what ws had already read in the chunk that hit the limit).
    const answeredFirst = reader.frames.slice(0, reader.frames.indexOf(pong)).filter((f) => f.type === 'ack').length;
    expect(answeredFirst).toBeGreaterThanOrEqual(flood - 1500);
    expect(reader.msgs('big').length).toBe(300 + flood);
  }, 60_000);
});

describe('tokens', () => {
  const nowSec = () => Math.floor(Date.now() / 1000);

  it('a token whose nbf is still ahead is refused with 4100 (it was accepted: a backend issuing tokens for later had them honoured at once)', async () => {
    await start({ authSecret: SECRET });
    const early = await open();
    early.send({ type: 'hello', v: 1, token: sign({ alg: 'HS256' }, { exp: nowSec() + 3600, nbf: nowSec() + 600 }) });
    expect(await early.waitClosed()).toEqual({ code: 4100, reason: 'token not valid yet (nbf)' });
    // nbf reached: accepted; a non-numeric nbf is malformed.
    await connect({ token: sign({ alg: 'HS256' }, { exp: nowSec() + 3600, nbf: nowSec() - 1 }) });
    expect(verifyToken(sign({ alg: 'HS256' }, { exp: 2000, nbf: 'soon' }), SECRET, 1_000_000)).toMatchObject({ ok: false, reason: 'bad' });
    expect(verifyToken(sign({ alg: 'HS256' }, { exp: 2000, nbf: 1000 }), SECRET, 999_999)).toMatchObject({ ok: false, reason: 'bad' });
    expect(verifyToken(sign({ alg: 'HS256' }, { exp: 2000, nbf: 1000 }), SECRET, 1_000_000)).toMatchObject({ ok: true });
  });

  it('only the canonical base64url signature is accepted: no variant of one token passes as another string', () => {
    const t = signToken({ sub: 'u', exp: 2000 }, SECRET);
    expect(verifyToken(t, SECRET, 0).ok).toBe(true);
    const [h, p, sig] = t.split('.') as [string, string, string];
    // Node's base64url decoder skips characters outside the alphabet and ignores the
    // unused low bits of the last one: each of these decoded to the same 32 bytes.
    const last = sig.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sibling = alphabet[alphabet.indexOf(last) ^ 1]!;
    for (const variant of [`${sig}!`, `${sig}==`, `${sig.slice(0, 10)}.${sig.slice(10)}`, `${sig.slice(0, -1)}${sibling}`]) {
      expect(Buffer.from(variant, 'base64url').equals(Buffer.from(sig, 'base64url'))).toBe(true);
      expect(verifyToken(`${h}.${p}.${variant}`, SECRET, 0)).toMatchObject({ ok: false, reason: 'bad' });
    }
  });
});

/**
 * A raw HTTP POST, so the test controls every header and how the body is sent. Without
 * `body` it streams one (64 KiB chunks, each after the last was taken, at most 1 GiB)
 * until the server cuts the connection; `written` counts the bytes it got through.
 */
function rawPost(headers: Record<string, string>, body?: string): Promise<{ status: number; body: string; cut: Promise<number> }> {
  return new Promise((resolve, reject) => {
    let written = 0;
    let cutAt: ((n: number) => void) | undefined;
    const cut = new Promise<number>((r) => (cutAt = r));
    const req = request(`${fixture.server.httpUrl}/v1/publish`, { method: 'POST', headers, agent: false }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body: text, cut }));
    });
    req.on('error', (err) => (cutAt ? undefined : reject(err)));
    req.on('close', () => cutAt!(written));
    if (body !== undefined) return void req.end(body);
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const pump = (): void => {
      if (req.destroyed || written >= 2 ** 30) return void req.end();
      written += chunk.length;
      req.write(chunk, (err) => (err ? undefined : pump()));
    };
    req.write('{"channel":"a","data":"', () => pump());
  });
}

describe('HTTP publish', () => {
  it('applies allowedOrigins to a request that carries an Origin (a page on another origin could publish through the visitor\'s browser)', async () => {
    await start({ allowedOrigins: ['https://good.example'] });
    const body = JSON.stringify({ channel: 'room', data: 1 });
    const evil = await rawPost({ 'content-type': 'text/plain', origin: 'https://evil.example' }, body);
    expect(evil.status).toBe(403);
    expect(JSON.parse(evil.body)).toEqual({ code: 'FORBIDDEN', message: 'origin not allowed' });
    expect((await rawPost({ 'content-type': 'application/json', origin: 'https://good.example' }, body)).status).toBe(200);
    // A backend sends no Origin: unaffected.
    expect((await rawPost({ 'content-type': 'application/json' }, body)).status).toBe(200);
    const c = await connect({}, { origin: 'https://good.example' });
    expect((await c.subscribe('room')).offset).toBe(2);
  });

  it('answers a request without a valid token and closes the connection, rather than reading its body to the end', async () => {
    await start({ authSecret: SECRET });
    const res = await rawPost({ 'content-type': 'application/json', 'transfer-encoding': 'chunked', connection: 'keep-alive' });
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body).code).toBe('BAD_TOKEN');
    // Cut soon after the answer, not after the client gave up at 1 GiB.
    expect(await res.cut).toBeLessThan(64 * 1024 * 1024);
  });
});

describe('presence.enter flood', () => {
  it('is rate limited like publishes (separate bucket): a subscribe-only token could push unlimited updates to every subscriber', async () => {
    const clock = new FakeClock();
    await start({ clock, authSecret: SECRET, publishPerSec: 5, publishBurst: 5 });
    const exp = Math.floor(clock.now() / 1000) + 3600;
    const watcher = await connect({ token: signToken({ exp, publish: [] }, SECRET) });
    // May publish, so the last check can tell a shared bucket (RATE_LIMITED) from separate ones (ack).
    const flooder = await connect({ token: signToken({ exp, publish: ['room'] }, SECRET), clientId: 'f' });
    await watcher.subscribe('room');
    const answers = [];
    for (let i = 0; i < 20; i++) answers.push(await flooder.request({ type: 'presence.enter', channel: 'room', info: { i } }));
    expect(answers.filter((a) => a.type === 'presence.ok')).toHaveLength(5);
    const refused = answers.filter((a) => a.type === 'error');
    expect(refused).toHaveLength(15);
    expect(refused[0]).toMatchObject({ code: 'RATE_LIMITED', channel: 'room', retryAfterMs: 200 });
    watcher.send({ type: 'ping', t: 1 });
    await watcher.next('pong');
    expect(watcher.frames.filter((f) => f.type === 'presence')).toHaveLength(5); // join + 4 updates
    // The publish bucket is its own: with the presence bucket empty, a publish is taken.
    expect(await flooder.publish('room', 1, 'p1')).toMatchObject({ type: 'ack', channel: 'room' });
    clock.advance(200);
    expect(await flooder.request({ type: 'presence.enter', channel: 'room', info: { i: 99 } })).toMatchObject({ type: 'presence.ok' });
  });
});

describe('broker failures', () => {
  it('are told to clients by kind only; the broker\'s own text (hosts, scripts) reaches the logger, not the wire', async () => {
    const inner = memoryBroker();
    let failure: Error = new BrokerUnavailableError('redis broker: publish failed: connect ECONNREFUSED 10.0.0.5:6379');
    const logged: unknown[] = [];
    const noop = () => undefined;
    const server = await start({
      broker: { ...inner, publish: async () => Promise.reject(failure) },
      logger: { debug: noop, info: noop, warn: noop, error: (...args: unknown[]) => logged.push(args) },
    });
    const c = await connect();
    const post = (channel: string) =>
      fetch(`${server.httpUrl}/v1/publish`, { method: 'POST', body: JSON.stringify({ channel, data: 1 }) }).then((r) => r.json());
    expect(await c.publish('room', 1, 'a')).toMatchObject({ code: 'BROKER_UNAVAILABLE', message: 'not stored: broker unavailable' });
    expect(await post('room')).toEqual({ code: 'BROKER_UNAVAILABLE', message: 'not stored: broker unavailable' });
    failure = new Error('ERR Error running script (call to f_0123): @user_script:12: secret detail');
    // Another channel: 'room' holds later publishes until the refused one is re-sent.
    expect(await c.publish('other', 1, 'b')).toMatchObject({ code: 'INTERNAL', message: 'not stored: broker error' });
    expect(await post('other')).toEqual({ code: 'INTERNAL', message: 'not stored: broker error' });
    expect(JSON.stringify(c.frames)).not.toMatch(/10\.0\.0\.5|user_script/);
    expect(logged).toHaveLength(2);
    expect(JSON.stringify(logged)).toContain('secret detail');
  });

  it('a publish the broker may have stored (maybeStored: sent, no answer) is "outcome unknown", never "not stored", on WebSocket and HTTP', async () => {
    const inner = memoryBroker();
    const server = await start({
      broker: { ...inner, publish: async () => Promise.reject(new BrokerUnavailableError('redis broker: publish failed: Command timed out', { maybeStored: true })) },
    });
    const c = await connect();
    const post = (body: Record<string, unknown>) =>
      fetch(`${server.httpUrl}/v1/publish`, { method: 'POST', body: JSON.stringify(body) }).then(async (r) => [r.status, await r.json()]);
    expect(await c.publish('room', 1, 'a')).toMatchObject({
      code: 'BROKER_UNAVAILABLE', retryAfterMs: 1000,
      message: 'outcome unknown: the broker did not answer in time and the message may have been stored; re-send it with the same id (it is stored once)',
    });
    expect(await post({ channel: 'room', data: 1, id: 'h1' })).toEqual([503, {
      code: 'BROKER_UNAVAILABLE',
      message: 'outcome unknown: the broker did not answer in time and the message may have been stored; re-send it with the same id (it is stored once)',
    }]);
    expect(await post({ channel: 'room', data: 1 })).toEqual([503, {
      code: 'BROKER_UNAVAILABLE',
      message: 'outcome unknown: the broker did not answer in time and the message may have been stored; without an "id" a re-send may store it twice',
    }]);
  });
});

describe('memory broker: channels nobody published on', () => {
  it('are not held once nobody listens or is present, so subscribe churn by a read-only token does not grow memory', async () => {
    const broker = memoryBroker();
    await start({ broker, authSecret: SECRET });
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const c = await connect({ token: signToken({ exp, publish: [] }, SECRET) });
    for (let i = 0; i < 100; i++) {
      expect((await c.subscribe(`churn:${i}`)).type).toBe('subscribed');
      await c.request({ type: 'unsub', channel: `churn:${i}` });
    }
    await c.request({ type: 'presence.enter', channel: 'churn:p' });
    await c.request({ type: 'presence.leave', channel: 'churn:p' });
    expect(broker.channelCount()).toBe(0);
  });

  it('keep one epoch across being dropped and made again, so a client coming back sees no false gap', async () => {
    const broker = memoryBroker();
    await start({ broker });
    const a = await connect();
    const first = await a.subscribe('quiet');
    await a.request({ type: 'unsub', channel: 'quiet' });
    expect(broker.channelCount()).toBe(0);
    const again = await a.subscribe('quiet', { epoch: first.epoch, offset: 0 });
    expect(again).toMatchObject({ recovered: true, epoch: first.epoch, offset: 0, replay: 0 });
    const ack = await a.publish('quiet', 1, 'q1');
    expect(ack).toMatchObject({ offset: 1, epoch: first.epoch });
    await a.request({ type: 'unsub', channel: 'quiet' });
    expect(broker.channelCount()).toBe(1); // it has a log now
    // reset() still starts every channel, held or not, in a new epoch.
    await broker.reset();
    expect(broker.channelCount()).toBe(0);
    const after = await a.subscribe('quiet', { epoch: first.epoch, offset: 1 });
    expect(after).toMatchObject({ recovered: false, reason: 'epoch-changed', offset: 0 });
    expect((await a.subscribe('never', { epoch: first.epoch, offset: 0 })).reason).toBe('epoch-changed');
  });
});

describe('maxConnections', () => {
  it('refuses an upgrade beyond it with 503 and Retry-After (sockets that never say hello, or /echo ones, were unbounded)', async () => {
    const server = await start({ maxConnections: 2 });
    await open(); // no hello: held until handshakeTimeoutMs
    const echo = await open('/echo');
    const refused = await new Promise<{ status: number; retryAfter: string | undefined }>((resolve, reject) => {
      const ws = new WebSocket(`${server.url}/v1`);
      ws.on('error', () => undefined);
      ws.once('open', () => reject(new Error('a third connection was accepted')));
      ws.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'] }));
    });
    expect(refused).toEqual({ status: 503, retryAfter: '1' });
    expect(server.stats()).toMatchObject({ connections: 2, handshakesRefused: 1 });
    echo.close();
    await waitFor(() => server.stats().connections === 1, 'the server to see the close');
    await connect();
  });

  it('is a positive number: 0 or NaN is refused at start', async () => {
    await expect(createServer({ maxConnections: 0 })).rejects.toThrow(TypeError);
    await expect(createServer({ maxConnections: Number.NaN })).rejects.toThrow(/maxConnections/);
  });
});

describe('Redis key layout', () => {
  it('keeps each channel\'s keys inside its own hash tag: a name with a brace is refused, not turned into other keys', () => {
    const k = channelKeys('lifeline:', 'room:1');
    expect(k.log).toBe('lifeline:{room:1}:log');
    expect(k.dedupe).toBe('lifeline:{room:1}:id:');
    // `a}:id:x` would have tagged its keys `{a}` (channel a's slot), its seq key being a's
    // dedupe key for the publish id `x}:seq`.
    expect(() => channelKeys('lifeline:', 'a}:id:x')).toThrow(TypeError);
    expect(() => channelKeys('lifeline:', '{a')).toThrow(/cannot hold/);
  });
});

describe('presence info size', () => {
  it('is capped by maxPresenceInfoBytes: large entries made every subscribe reply too big to send, closing each new subscriber with 1013', async () => {
    await start({ maxBufferedBytes: 1024 * 1024, maxPresenceInfoBytes: 32 * 1024 });
    const fat = 'x'.repeat(60_000);
    const members = await Promise.all(Array.from({ length: 20 }, (_, i) => connect({ clientId: `m${i}` })));
    const answers = await Promise.all(members.map((m) => m.request({ type: 'presence.enter', channel: 'room', info: { fat } })));
    for (const a of answers) {
      expect(a).toMatchObject({ type: 'error', code: 'BAD_FIELD', channel: 'room', message: 'presence.enter: "info" is above 32768 bytes of JSON' });
    }
    expect(await members[0]!.request({ type: 'presence.enter', channel: 'room', info: { fat: fat.slice(0, 30_000) } })).toMatchObject({ type: 'presence.ok' });
    const newcomer = await connect();
    const sub = await newcomer.subscribe('room');
    expect(sub.presence).toHaveLength(1);
    expect(newcomer.closed).toBeUndefined();
  });

  it('defaults to 4096 bytes', async () => {
    await start();
    const c = await connect();
    // {"s":"…"} is 8 bytes of JSON around the string.
    expect(await c.request({ type: 'presence.enter', channel: 'room', info: { s: 'x'.repeat(4088) } })).toMatchObject({ type: 'presence.ok' });
    expect(await c.request({ type: 'presence.enter', channel: 'room', info: { s: 'x'.repeat(4089) } })).toMatchObject({ code: 'BAD_FIELD' });
  });
});
