import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signToken, verifyToken } from '../src/index';
import { matchesPattern } from '../src/auth';
import { FakeClock } from './helpers/fakeClock';
import { useServer } from './helpers/serverFixture';

const SECRET = 'test-secret';
const nowSec = () => Math.floor(Date.now() / 1000);
const { start, open } = useServer();
const hello = async (token?: string) => {
  const c = await open();
  c.send(token === undefined ? { type: 'hello', v: 1 } : { type: 'hello', v: 1, token });
  return c;
};

describe('tokens (unit)', () => {
  it('signToken/verifyToken round-trip, reject tampering, wrong alg, missing exp, and detect expiry', () => {
    const t = signToken({ sub: 'u1', exp: 2000 }, SECRET);
    expect(verifyToken(t, SECRET, 1_000_000)).toMatchObject({ ok: true, claims: { sub: 'u1', exp: 2000 } });
    expect(verifyToken(t, SECRET, 2_000_000)).toMatchObject({ ok: false, reason: 'expired' });
    expect(verifyToken(t, 'other', 0)).toMatchObject({ ok: false, reason: 'bad' });
    const [h, , s] = t.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ sub: 'admin', exp: 2000 })).toString('base64url')}.${s}`;
    expect(verifyToken(forged, SECRET, 0)).toMatchObject({ ok: false, reason: 'bad' });
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${t.split('.')[1]}.`;
    expect(verifyToken(none, SECRET, 0)).toMatchObject({ ok: false, reason: 'bad' });
    const [h2] = t.split('.');
    const body = Buffer.from(JSON.stringify({ sub: 'x' })).toString('base64url');
    const sig = createHmac('sha256', SECRET).update(`${h2}.${body}`).digest('base64url');
    expect(verifyToken(`${h2}.${body}.${sig}`, SECRET, 0)).toMatchObject({ ok: false, reason: 'bad', message: 'token has no exp' });
    expect(verifyToken('not-a-jwt', SECRET, 0)).toMatchObject({ ok: false, reason: 'bad' });
  });

  it('an exp in milliseconds is refused (it made a token valid for millennia): by verifyToken as bad, by signToken with a RangeError', () => {
    const now = 1_800_000_000_000;
    const [h] = signToken({ exp: 1 }, SECRET).split('.');
    const body = Buffer.from(JSON.stringify({ sub: 'u1', exp: now + 3_600_000 })).toString('base64url');
    const sig = createHmac('sha256', SECRET).update(`${h}.${body}`).digest('base64url');
    expect(verifyToken(`${h}.${body}.${sig}`, SECRET, now)).toMatchObject({ ok: false, reason: 'bad', message: expect.stringMatching(/milliseconds/) });
    expect(() => signToken({ exp: now + 3_600_000 }, SECRET)).toThrow(RangeError);
    // Seconds, even far ahead (year 5000), still pass.
    expect(verifyToken(signToken({ exp: 95_617_584_000 }, SECRET), SECRET, now)).toMatchObject({ ok: true });
  });

  it('a sub with a lone surrogate is refused (stored as UTF-8 it became U+FFFD: two users in one): by verifyToken as bad, by signToken with a RangeError', () => {
    expect(() => signToken({ sub: 'u\ud800', exp: 2000 }, SECRET)).toThrow(RangeError);
    const head = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
    const sign = (sub: string) => {
      const body = Buffer.from(JSON.stringify({ sub, exp: 2000 })).toString('base64url');
      return `${head}.${body}.${createHmac('sha256', SECRET).update(`${head}.${body}`).digest('base64url')}`;
    };
    expect(verifyToken(sign('u\ud800'), SECRET, 0)).toMatchObject({ ok: false, reason: 'bad', message: expect.stringContaining('well-formed') });
    expect(verifyToken(sign('u\udfff'), SECRET, 0)).toMatchObject({ ok: false, reason: 'bad' });
    expect(verifyToken(sign('u\ud83d\ude00'), SECRET, 0)).toMatchObject({ ok: true, claims: { sub: 'u\u{1F600}' } });
  });

  it('channel patterns: * matches any run, everything else is literal', () => {
    expect(matchesPattern('room:*', 'room:1')).toBe(true);
    expect(matchesPattern('room:*', 'room:')).toBe(true);
    expect(matchesPattern('room:*', 'lobby')).toBe(false);
    expect(matchesPattern('a.b', 'aXb')).toBe(false);
    expect(matchesPattern('*:admin', 'team:admin')).toBe(true);
    expect(matchesPattern('exact', 'exact')).toBe(true);
    expect(matchesPattern('exact', 'exactly')).toBe(false);
    expect(matchesPattern('*', '')).toBe(true);
    expect(matchesPattern('a*b*c', 'a-x-b-y-c')).toBe(true);
    expect(matchesPattern('a*b*c', 'a-x-c-y-b')).toBe(false);
    expect(matchesPattern('room:**', 'room:')).toBe(true);
    expect(matchesPattern('a*a*a*a*a*a*a*a*a*a*b', 'a'.repeat(200))).toBe(false);
  });
});

describe('auth over /v1', () => {
  it('a bad, malformed or missing token closes with 4100; an expired one with 4101', async () => {
    await start({ authSecret: SECRET });
    const cases: [string | undefined, number][] = [
      [undefined, 4100],
      ['garbage', 4100],
      [signToken({ sub: 'u', exp: nowSec() + 60 }, 'wrong-secret'), 4100],
      [signToken({ sub: 'u', exp: nowSec() - 1 }, SECRET), 4101],
    ];
    for (const [token, code] of cases) {
      const c = await hello(token);
      expect((await c.waitClosed()).code).toBe(code);
      expect(c.frames.find((f) => f.type === 'welcome')).toBeUndefined();
    }
  });

  it('a token that expires while connected closes with 4101 (fake clock)', async () => {
    const clock = new FakeClock(1_800_000_000_000);
    await start({ authSecret: SECRET, clock, heartbeatMs: 600_000 }); // no heartbeat kill while time jumps
    const c = await hello(signToken({ sub: 'u', exp: 1_800_000_060 }, SECRET));
    await c.next('welcome');
    clock.advance(59_999);
    c.send({ type: 'ping', t: 1 });
    await c.next('pong');
    clock.advance(1);
    expect((await c.waitClosed()).code).toBe(4101);
  });

  it('per-channel subscribe/publish patterns answer FORBIDDEN and keep the connection', async () => {
    await start({ authSecret: SECRET });
    const token = signToken({ sub: 'ada', exp: nowSec() + 60, subscribe: ['room:*'], publish: ['room:1'] }, SECRET);
    const c = await hello(token);
    await c.next('welcome');
    expect(await c.subscribe('room:7')).toMatchObject({ type: 'subscribed' });
    expect(await c.subscribe('admin')).toMatchObject({ type: 'error', code: 'FORBIDDEN', channel: 'admin' });
    expect(await c.publish('room:1', 'hi', 'x1')).toMatchObject({ type: 'ack', offset: 1 });
    expect(await c.publish('room:2', 'hi', 'x2')).toMatchObject({ type: 'error', code: 'FORBIDDEN', channel: 'room:2' });
    expect(await c.request({ type: 'presence.enter', channel: 'admin' })).toMatchObject({ code: 'FORBIDDEN' });
    expect(await c.request({ type: 'presence.enter', channel: 'room:7' })).toMatchObject({ type: 'presence.ok' });
    const watcher = await hello(signToken({ exp: nowSec() + 60 }, SECRET));
    await watcher.next('welcome');
    // the token's sub is shown as the member's user
    expect((await watcher.subscribe('room:7')).presence).toEqual([{ clientId: expect.any(String), user: 'ada' }]);
    expect(c.closed).toBeUndefined();
  });

  it('an empty permission array allows nothing', async () => {
    await start({ authSecret: SECRET });
    const c = await hello(signToken({ exp: nowSec() + 60, publish: [] }, SECRET));
    await c.next('welcome');
    expect(await c.publish('any', 1, 'a')).toMatchObject({ code: 'FORBIDDEN' });
    expect(await c.subscribe('any')).toMatchObject({ type: 'subscribed' });
  });

  it('without a secret the server is open: any token is accepted and ignored', async () => {
    const warnings: string[] = [];
    const noop = () => undefined;
    await start({ logger: { debug: noop, info: noop, error: noop, warn: (m) => warnings.push(m) } });
    expect(warnings.join('\n')).toMatch(/OPEN/);
    const c = await hello('not even a jwt');
    await c.next('welcome');
    expect(await c.publish('x', 1, 'a')).toMatchObject({ type: 'ack' });
  });

  it('HTTP publish requires a valid bearer token and honours publish patterns', async () => {
    const server = await start({ authSecret: SECRET });
    const post = (token: string | undefined, channel: string) =>
      fetch(`${server.httpUrl}/v1/publish`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ channel, data: 1 }),
      });
    const missing = await post(undefined, 'a');
    expect(missing.status).toBe(401);
    // A 401 names its scheme (RFC 9110 §11.6.1; the error as RFC 6750 §3 has it).
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="lifeline", error="invalid_token"');
    await missing.arrayBuffer();
    const expired = await post(signToken({ exp: nowSec() - 5 }, SECRET), 'a');
    expect(expired.status).toBe(401);
    expect(expired.headers.get('www-authenticate')).toBe('Bearer realm="lifeline", error="invalid_token", error_description="token expired"');
    expect(await expired.json()).toMatchObject({ code: 'TOKEN_EXPIRED' });
    const scoped = signToken({ exp: nowSec() + 60, publish: ['ok:*'] }, SECRET);
    const forbidden = await post(scoped, 'nope');
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toMatchObject({ code: 'FORBIDDEN' });
    const ok = await post(scoped, 'ok:1');
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ offset: 1 });
  });
});

describe('origin allow-list', () => {
  it('accepts listed origins and closes others (a literal "null" too) with 4001, on /v1 and /echo', async () => {
    await start({ allowedOrigins: ['https://good.example'] });
    const good = await open('/v1', { origin: 'https://good.example' });
    good.send({ type: 'hello', v: 1 });
    await good.next('welcome');
    for (const path of ['/v1', '/echo']) {
      for (const origin of ['https://evil.example', 'null']) {
        const evil = await open(path, { origin });
        expect((await evil.waitClosed()).code).toBe(4001);
      }
    }
  });

  it('an empty list admits no browser origin (it admitted every one); a backend without Origin still connects', async () => {
    await start({ allowedOrigins: [] });
    const evil = await open('/v1', { origin: 'https://evil.example' });
    expect((await evil.waitClosed()).code).toBe(4001);
    const backend = await open('/v1');
    backend.send({ type: 'hello', v: 1 });
    expect(await backend.next('welcome')).toMatchObject({ type: 'welcome' });
  });

  it('accepts an upgrade without Origin (a backend: Node\'s ws sends none, a browser always does), on /v1 and /echo', async () => {
    await start({ allowedOrigins: ['https://good.example'] });
    const backend = await open('/v1'); // no origin option: ws sends no Origin header
    backend.send({ type: 'hello', v: 1 });
    expect(await backend.next('welcome')).toMatchObject({ type: 'welcome' });
    expect(await backend.subscribe('room:1')).toMatchObject({ type: 'subscribed' });
    const echo = await open('/echo');
    const echoed = new Promise<string>((resolve) => echo.ws.once('message', (d) => resolve(String(d))));
    echo.ws.send('hi');
    expect(await echoed).toBe('hi');
  });
});
