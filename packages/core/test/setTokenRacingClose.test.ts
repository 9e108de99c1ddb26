import { describe, expect, it } from 'vitest';
import { flushPromises, setup } from './support/harness';

/**
 * A chaos soak (REPORT.md finding 2): `setToken(<new string>)` on an open connection sends
 * the token in band (`auth`); when the server closes 4101 for the PREVIOUS token before it
 * read that `auth` (latency, or the auth queued behind a replay), the client took the close
 * as a refusal of the static token it now holds and stopped for good (`auth-failed`,
 * AUTH_FAILED "call setToken()"), although that token was never tried: its channels stayed
 * `subscribing`. A close refuses the connection's token (the hello's, or the last `auth`
 * the server took); the client stops only when that is the token it holds now.
 */
describe('setToken(string) racing a 4100-4199 close for the previous token', () => {
  const opts = { token: 'A', reconnect: { jitter: 'none' as const, initialDelayMs: 100, maxDelayMs: 100 } };
  const hello = (h: ReturnType<typeof setup>) => h.sock.frames('hello')[0];

  it('4101 before the auth is answered: reconnects with the new token (hello carries B), no stop', async () => {
    const h = setup(opts);
    const ch = h.client.channel('room');
    const got: unknown[] = [];
    ch.subscribe((m) => void got.push(m.data));
    const s = h.accept({ tokenExpiresInMs: 5_000 });
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    h.client.setToken('B');
    await flushPromises();
    expect(s.frames('auth').map((f) => f.token)).toEqual(['B']);
    // The server expires A before it reads the auth.
    s.serverClose(4101, 'token expired');
    expect(h.states.at(-1)).toMatchObject({ to: 'closed', reason: 'socket-closed', closeCode: 4101 });
    expect(h.client.getSnapshot().retryInMs).toBeGreaterThanOrEqual(0);
    expect(h.errors.map((e) => e.code)).toEqual([]); // was: ['AUTH_FAILED'] and a stop
    h.clock.advance(100);
    await flushPromises();
    expect(h.sockets.length).toBe(2);
    h.accept({ tokenExpiresInMs: 600_000 });
    expect(hello(h).token).toBe('B');
    expect(h.client.state).toBe('open');
    // The channel resumes on the new connection.
    const sub = h.sock.frames('sub')[0];
    expect(sub).toMatchObject({ channel: 'room', since: { epoch: 'e1', offset: 0 } });
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    h.msg('room', 1);
    expect(got).toEqual([1]);
    expect(ch.getSnapshot().state).toBe('subscribed');
  });

  it('a 4100 for the previous token on a server that takes no auth in band: a TOKEN_ERROR, then the new token is tried', async () => {
    const h = setup(opts);
    const s = h.accept(); // no tokenExpiresInMs: setToken() applies from the next connection
    h.client.setToken('B');
    await flushPromises();
    expect(s.frames('auth')).toEqual([]);
    s.serverClose(4100, 'token revoked');
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason: 'socket-closed', retryInMs: 100 });
    expect(h.errors.map((e) => e.code)).toEqual(['TOKEN_ERROR']);
    h.clock.advance(100);
    await flushPromises();
    h.accept();
    expect(hello(h).token).toBe('B');
    expect(h.client.state).toBe('open');
  });

  it('the new token refused in its own hello then stops (no loop)', async () => {
    const h = setup(opts);
    const s = h.accept({ tokenExpiresInMs: 5_000 });
    h.client.setToken('B');
    await flushPromises();
    s.serverClose(4101, 'token expired');
    h.clock.advance(100);
    await flushPromises();
    h.sock.open();
    expect(hello(h).token).toBe('B');
    h.sock.serverClose(4100, 'bad token');
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason: 'auth-failed', retryInMs: null });
    expect(h.errors.map((e) => e.code)).toEqual(['AUTH_FAILED']);
    h.clock.advance(600_000);
    await flushPromises();
    expect(h.sockets.length).toBe(2);
  });

  it('control: a static token refused 4101 with no setToken() still stops', async () => {
    const h = setup(opts);
    const s = h.accept({ tokenExpiresInMs: 5_000 });
    s.serverClose(4101, 'token expired');
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason: 'auth-failed', retryInMs: null });
    expect(h.errors.map((e) => e.code)).toEqual(['AUTH_FAILED']);
    h.clock.advance(600_000);
    await flushPromises();
    expect(h.sockets.length).toBe(1);
  });

  it('control: the new token taken in band (authed), then expired 4101: stops', async () => {
    const h = setup(opts);
    const s = h.accept({ tokenExpiresInMs: 5_000 });
    h.client.setToken('B');
    await flushPromises();
    s.push({ type: 'authed', ref: s.frames('auth')[0].ref, tokenExpiresInMs: 5_000 });
    s.serverClose(4101, 'token expired');
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason: 'auth-failed', retryInMs: null });
    expect(h.errors.map((e) => e.code)).toEqual(['AUTH_FAILED']);
  });

  it('control: setToken() with the same token, its auth unanswered, then 4101: stops (that token was refused)', async () => {
    const h = setup(opts);
    const s = h.accept({ tokenExpiresInMs: 5_000 });
    h.client.setToken('A');
    await flushPromises();
    s.serverClose(4101, 'token expired');
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason: 'auth-failed' });
  });
});
