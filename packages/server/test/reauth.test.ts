// In-band re-authentication (PROTOCOL.md §10.1): `auth` replaces a connection's token
// without a reconnect. Real sockets on port 0; token expiry on an injected clock.
import { describe, expect, it } from 'vitest';
import { signToken } from '../src/index';
import { FakeClock } from './helpers/fakeClock';
import { useServer } from './helpers/serverFixture';
import type { TestClient } from './helpers/wsClient';

const SECRET = 'reauth-secret';
const T0 = 1_800_000_000_000;
const T0_SEC = T0 / 1000;
const { start, connect } = useServer();

/** A server with a secret on a fake clock; the heartbeat is kept out of the way while time jumps. */
async function startAuthed(): Promise<FakeClock> {
  const clock = new FakeClock(T0);
  await start({ authSecret: SECRET, clock, heartbeatMs: 3_600_000 });
  return clock;
}

const token = (claims: Record<string, unknown>, secret = SECRET): string => signToken({ sub: 'ada', exp: T0_SEC + 60, ...claims }, secret);

/** The connection still answers: a ping comes back as a pong. */
async function alive(c: TestClient): Promise<void> {
  const t = c.nextRef();
  c.send({ type: 'ping', t });
  await c.next('pong', (f) => f.t === t);
  expect(c.closed).toBeUndefined();
}

describe('welcome.tokenExpiresInMs', () => {
  it('is the hello token’s exp − now on a server with a secret', async () => {
    const clock = await startAuthed();
    clock.advance(1_500);
    const c = await connect({ token: token({ exp: T0_SEC + 60 }) });
    expect(c.frames.find((f) => f.type === 'welcome')?.tokenExpiresInMs).toBe(58_500);
  });

  it('is absent on an open server', async () => {
    await start();
    const c = await connect({ token: 'anything' });
    expect(c.frames.find((f) => f.type === 'welcome')).not.toHaveProperty('tokenExpiresInMs');
  });
});

describe('auth frame', () => {
  it('a fresh token is answered authed with its expiry, and the 4101 moves from the old exp to the new one', async () => {
    const clock = await startAuthed();
    const c = await connect({ token: token({ exp: T0_SEC + 60 }) });
    clock.advance(10_000);
    const reply = await c.request({ type: 'auth', token: token({ exp: T0_SEC + 120 }) });
    expect(reply).toEqual({ type: 'authed', ref: reply.ref, tokenExpiresInMs: 110_000 });
    clock.advance(50_000); // the old token's exp
    await alive(c);
    clock.advance(59_999);
    await alive(c);
    clock.advance(1); // the new token's exp
    expect((await c.waitClosed()).code).toBe(4101);
  });

  it('a refused token (bad signature, expired, not yet valid, another subject) is answered with an error naming its ref; the connection goes on until the old exp', async () => {
    const clock = await startAuthed();
    const c = await connect({ token: token({ exp: T0_SEC + 60 }) });
    const cases: [string, string, RegExp?][] = [
      [token({ exp: T0_SEC + 600 }, 'wrong-secret'), 'BAD_TOKEN'],
      ['garbage', 'BAD_TOKEN'],
      ['', 'BAD_TOKEN'],
      [token({ exp: T0_SEC - 1 }), 'TOKEN_EXPIRED'],
      [token({ exp: T0_SEC + 600, nbf: T0_SEC + 30 }), 'BAD_TOKEN'],
      [token({ exp: T0_SEC + 600, sub: 'eve' }), 'BAD_TOKEN', /another subject/],
      [token({ exp: T0_SEC + 600, sub: undefined }), 'BAD_TOKEN', /another subject/],
    ];
    for (const [t, code, message] of cases) {
      const reply = await c.request({ type: 'auth', token: t });
      expect(reply).toMatchObject({ type: 'error', code });
      expect(typeof reply.ref).toBe('number');
      if (message) expect(reply.message).toMatch(message);
      await alive(c);
    }
    expect(c.frames.some((f) => f.type === 'authed')).toBe(false);
    clock.advance(59_999);
    await alive(c);
    clock.advance(1);
    expect((await c.waitClosed()).code).toBe(4101);
  });

  it('a token without sub cannot be swapped for one that names a subject', async () => {
    await startAuthed();
    const c = await connect({ token: token({ sub: undefined }) });
    expect(await c.request({ type: 'auth', token: token({ sub: 'ada', exp: T0_SEC + 600 }) })).toMatchObject({
      type: 'error',
      code: 'BAD_TOKEN',
      message: 'token names another subject',
    });
    expect(await c.request({ type: 'auth', token: token({ sub: undefined, exp: T0_SEC + 600 }) })).toMatchObject({ type: 'authed' });
  });

  it('a token with more permissions applies to the next requests on the same connection', async () => {
    await startAuthed();
    const c = await connect({ token: token({ subscribe: ['a'], publish: [] }) });
    expect(await c.subscribe('b')).toMatchObject({ type: 'error', code: 'FORBIDDEN' });
    expect(await c.publish('b', 1, 'm1')).toMatchObject({ type: 'error', code: 'FORBIDDEN' });
    expect(await c.request({ type: 'presence.enter', channel: 'b' })).toMatchObject({ type: 'error', code: 'FORBIDDEN' });
    expect(await c.request({ type: 'auth', token: token({ subscribe: ['a', 'b'], publish: ['b'], exp: T0_SEC + 120 }) })).toMatchObject({ type: 'authed' });
    expect(await c.subscribe('b')).toMatchObject({ type: 'subscribed', channel: 'b' });
    expect(await c.publish('b', 1, 'm1')).toMatchObject({ type: 'ack', channel: 'b' });
    expect(await c.request({ type: 'presence.enter', channel: 'b' })).toMatchObject({ type: 'presence.ok' });
  });

  it('a token that no longer allows a subscribed channel closes the connection with 4204', async () => {
    await startAuthed();
    const c = await connect({ token: token({ subscribe: ['a', 'b'] }) });
    expect(await c.subscribe('a')).toMatchObject({ type: 'subscribed' });
    expect(await c.subscribe('b')).toMatchObject({ type: 'subscribed' });
    c.send({ type: 'auth', ref: c.nextRef(), token: token({ subscribe: ['a'], exp: T0_SEC + 120 }) });
    expect(await c.waitClosed()).toEqual({ code: 4204, reason: 'permissions narrowed' });
    expect(c.frames.some((f) => f.type === 'authed')).toBe(false);
  });

  it('a token that no longer allows a channel the connection is present in closes it with 4204', async () => {
    await startAuthed();
    const c = await connect({ token: token({ subscribe: ['room:*'] }) });
    expect(await c.request({ type: 'presence.enter', channel: 'room:1', info: { n: 1 } })).toMatchObject({ type: 'presence.ok' });
    c.send({ type: 'auth', ref: c.nextRef(), token: token({ subscribe: ['room:2'], exp: T0_SEC + 120 }) });
    expect((await c.waitClosed()).code).toBe(4204);
  });

  it('narrowing what it does not hold (publish, unused channels) is accepted: later requests are judged by the new token', async () => {
    await startAuthed();
    const c = await connect({ token: token({ subscribe: ['a', 'b'], publish: ['a'] }) });
    expect(await c.subscribe('a')).toMatchObject({ type: 'subscribed' });
    expect(await c.publish('a', 1, 'm1')).toMatchObject({ type: 'ack' });
    expect(await c.request({ type: 'auth', token: token({ subscribe: ['a'], publish: [], exp: T0_SEC + 120 }) })).toMatchObject({ type: 'authed' });
    expect(await c.publish('a', 2, 'm2')).toMatchObject({ type: 'error', code: 'FORBIDDEN' });
    expect(await c.subscribe('b')).toMatchObject({ type: 'error', code: 'FORBIDDEN' });
    await alive(c);
  });

  it('a token that is not a string is answered BAD_FIELD with the ref, and counts toward the bad-frame limit', async () => {
    await startAuthed();
    const c = await connect({ token: token({}) });
    for (const bad of [42, null, { a: 1 }]) {
      expect(await c.request({ type: 'auth', token: bad })).toMatchObject({ type: 'error', code: 'BAD_FIELD' });
    }
    expect(await c.request({ type: 'auth' })).toMatchObject({ type: 'error', code: 'BAD_FIELD' });
    await alive(c);
    for (let i = 0; i < 100; i++) c.send({ type: 'auth', ref: c.nextRef(), token: 7 });
    expect((await c.waitClosed()).code).toBe(4201);
  });

  it('an open server answers authed without an expiry (nothing to check)', async () => {
    await start();
    const c = await connect();
    const reply = await c.request({ type: 'auth', token: 'anything' });
    expect(reply).toEqual({ type: 'authed', ref: reply.ref });
    expect((await c.request({ type: 'auth', token: 1 })).code).toBe('BAD_FIELD');
  });
});
