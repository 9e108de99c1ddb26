// In-band re-authentication (PROTOCOL.md §10.1): `auth` replaces a connection's token
// without a reconnect. Real sockets on port 0; token expiry on an injected clock.
import { describe, expect, it } from 'vitest';
import { signToken } from '../src/index';
import { AUTH_BURST, AUTH_PER_SEC } from '../src/session/session';
import { FakeClock } from './helpers/fakeClock';
import { useServer } from './helpers/serverFixture';
import { waitFor } from './helpers/waitFor';
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

  it('closed 4204, its presence on a channel the new token does not allow leaves at once (no grace period)', async () => {
    await startAuthed(); // a fake clock: the grace period (5 s) never ends here
    const obs = await connect({ token: signToken({ sub: 'obs', exp: T0_SEC + 600 }, SECRET) });
    expect(await obs.subscribe('room:1')).toMatchObject({ type: 'subscribed' });
    const c = await connect({ token: token({ subscribe: ['room:*'] }), clientId: 'ada-1' });
    expect(await c.request({ type: 'presence.enter', channel: 'room:1', info: { n: 1 } })).toMatchObject({ type: 'presence.ok' });
    await obs.next('presence', (f) => f.event === 'join');
    c.send({ type: 'auth', ref: c.nextRef(), token: token({ subscribe: ['room:2'], exp: T0_SEC + 120 }) });
    expect((await c.waitClosed()).code).toBe(4204);
    expect(await obs.next('presence', (f) => f.event === 'leave')).toMatchObject({ member: { clientId: 'ada-1' } });
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

/**
 * Sends `frames` in one TCP write, so the server reads them together: ordering between
 * `auth` and the channel operations only shows when they arrive in the same read.
 */
function sendTogether(c: TestClient, frames: Record<string, unknown>[]): void {
  const raw = (c.ws as unknown as { _socket: { cork(): void; uncork(): void } })._socket;
  raw.cork();
  for (const f of frames) c.send(f);
  raw.uncork();
}

describe('auth ordered with channel operations', () => {
  it('unsub + auth without that channel, sent together: the unsub runs first, so the auth is accepted (no 4204)', async () => {
    await startAuthed();
    const c = await connect({ token: token({ subscribe: ['x', 'y'] }) });
    expect(await c.subscribe('x')).toMatchObject({ type: 'subscribed' });
    expect(await c.subscribe('y')).toMatchObject({ type: 'subscribed' });
    const ur = c.nextRef();
    const ar = c.nextRef();
    sendTogether(c, [
      { type: 'unsub', ref: ur, channel: 'x' },
      { type: 'auth', ref: ar, token: token({ subscribe: ['y'], exp: T0_SEC + 120 }) },
    ]);
    expect(await c.next('authed', (f) => f.ref === ar)).toMatchObject({ tokenExpiresInMs: 120_000 });
    expect(c.frames.find((f) => f.ref === ur)).toMatchObject({ type: 'unsubscribed', channel: 'x' });
    await alive(c);
  });

  it('presence.enter + auth sent together: the enter is judged (and answered) first, on the old token', async () => {
    await startAuthed();
    const c = await connect({ token: token({ subscribe: ['room:1'] }) });
    const er = c.nextRef();
    const ar = c.nextRef();
    sendTogether(c, [
      { type: 'presence.enter', ref: er, channel: 'room:3' },
      { type: 'auth', ref: ar, token: token({ subscribe: ['room:*'], exp: T0_SEC + 120 }) },
    ]);
    await c.next('authed', (f) => f.ref === ar);
    const answers = c.frames.filter((f) => f.ref === er || f.ref === ar);
    expect(answers.map((f) => f.type)).toEqual(['error', 'authed']);
    expect(answers[0]).toMatchObject({ code: 'FORBIDDEN', channel: 'room:3' });
  });

  it('presence.enter + a narrowing auth sent together: the enter is stored first, so the auth finds it held and closes 4204', async () => {
    await startAuthed();
    const c = await connect({ token: token({ subscribe: ['room:*'] }) });
    const er = c.nextRef();
    sendTogether(c, [
      { type: 'presence.enter', ref: er, channel: 'room:3' },
      { type: 'auth', ref: c.nextRef(), token: token({ subscribe: ['room:2'], exp: T0_SEC + 120 }) },
    ]);
    expect((await c.waitClosed()).code).toBe(4204);
    expect(c.frames.find((f) => f.ref === er)).toMatchObject({ type: 'presence.ok' });
    expect(c.frames.some((f) => f.type === 'authed')).toBe(false);
  });

  it('an operation sent after a widening auth waits for it, even behind an earlier operation the auth waits for', async () => {
    await startAuthed();
    const c = await connect({ token: token({ subscribe: ['a'] }) });
    const ar = c.nextRef();
    const br = c.nextRef();
    sendTogether(c, [
      { type: 'sub', ref: c.nextRef(), channel: 'a' },
      { type: 'auth', ref: ar, token: token({ subscribe: ['a', 'b'], exp: T0_SEC + 120 }) },
      { type: 'sub', ref: br, channel: 'b' },
    ]);
    expect(await waitFor(() => c.frames.find((f) => f.ref === br), 'the answer to sub b')).toMatchObject({ type: 'subscribed', channel: 'b' });
    const answers = c.frames.filter((f) => f.ref === ar || f.ref === br);
    expect(answers.map((f) => f.type)).toEqual(['authed', 'subscribed']);
  });

  it('an operation queued behind a narrowing auth is judged by the new token: its enter is neither stored nor announced', async () => {
    // The sub ahead makes the auth wait its turn, so the enter behind it is read (and
    // queued) before the auth runs and closes 4204; it then runs on whatever claims the auth left.
    await startAuthed();
    const obs = await connect({ token: signToken({ sub: 'obs', exp: T0_SEC + 600 }, SECRET) });
    expect(await obs.subscribe('room:3')).toMatchObject({ type: 'subscribed' });
    const c = await connect({ token: token({ subscribe: ['room:*'] }), clientId: 'ada-1' });
    expect(await c.subscribe('room:1')).toMatchObject({ type: 'subscribed' });
    sendTogether(c, [
      { type: 'sub', ref: c.nextRef(), channel: 'room:4' },
      { type: 'auth', ref: c.nextRef(), token: token({ subscribe: ['room:2'], exp: T0_SEC + 120 }) },
      { type: 'presence.enter', ref: c.nextRef(), channel: 'room:3' },
    ]);
    expect((await c.waitClosed()).code).toBe(4204);
    // A later member's join is announced after anything ada's enter would have caused.
    const bob = await connect({ token: signToken({ sub: 'bob', exp: T0_SEC + 600 }, SECRET), clientId: 'bob-1' });
    expect(await bob.request({ type: 'presence.enter', channel: 'room:3' })).toMatchObject({ type: 'presence.ok' });
    await obs.next('presence', (f) => f.event === 'join' && f.member?.clientId === 'bob-1');
    expect(obs.frames.filter((f) => f.type === 'presence').map((f) => f.member?.clientId)).toEqual(['bob-1']);
  });
});

describe('refused auth frames and the abuse window', () => {
  it('100 refused auth frames (bad token, expired, another subject, above the auth rate) within the window close the connection with 4201', async () => {
    await startAuthed();
    const c = await connect({ token: token({}) });
    const refused = [token({ exp: T0_SEC + 600 }, 'wrong-secret'), token({ exp: T0_SEC - 1 }), token({ sub: 'eve' })];
    for (let i = 0; i < 99; i++) c.send({ type: 'auth', ref: c.nextRef(), token: refused[i % refused.length] });
    await c.next('error', (f) => f.ref === 99);
    await alive(c);
    c.send({ type: 'auth', ref: c.nextRef(), token: 'garbage' });
    expect((await c.waitClosed()).code).toBe(4201);
  });
});

describe('auth rate', () => {
  it(`past a burst of ${AUTH_BURST}, auth is refused RATE_LIMITED with retryAfterMs, unverified; the connection keeps its token and takes one again a second later`, async () => {
    const clock = await startAuthed();
    const c = await connect({ token: token({ exp: T0_SEC + 60 }) });
    for (let i = 0; i < AUTH_BURST; i++) {
      expect(await c.request({ type: 'auth', token: token({ exp: T0_SEC + 120 }) })).toMatchObject({ type: 'authed' });
    }
    // A valid token that would move the expiry: refused without being looked at.
    const refused = await c.request({ type: 'auth', token: token({ exp: T0_SEC + 600 }) });
    expect(refused).toMatchObject({ type: 'error', code: 'RATE_LIMITED', retryAfterMs: 1000 / AUTH_PER_SEC });
    await alive(c);
    clock.advance(1000 / AUTH_PER_SEC);
    expect(await c.request({ type: 'auth', token: token({ exp: T0_SEC + 600 }) })).toMatchObject({ type: 'authed', tokenExpiresInMs: 599_000 });
    // The refused one changed nothing: the 4101 is the accepted one's exp.
    clock.advance(598_999);
    await alive(c);
    clock.advance(1);
    expect((await c.waitClosed()).code).toBe(4101);
  });
});
