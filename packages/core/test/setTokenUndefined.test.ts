// setToken(undefined): the `token` option takes undefined (a client without a token), so
// setToken() takes it too. While open on a server that checks tokens there is no token to
// send in band (`auth`), and the connection still runs as the previous token's user: it is
// renewed without one, which such a server refuses (4100: the client stops, AUTH_FAILED).
import { describe, expect, it } from 'vitest';
import { flushPromises, setup } from './support/harness';

describe('setToken(undefined)', () => {
  it('while open on a server that checks tokens: the connection is renewed at once, its hello without a token; that refusal stops the client', async () => {
    const h = setup({ token: 'alice' });
    const s = h.accept({ tokenExpiresInMs: 600_000 });
    h.client.setToken(undefined);
    await flushPromises();
    expect(s.frames('auth')).toEqual([]);
    expect(s.live).toBe(false); // alice's connection is gone
    s.serverClose(4202);
    expect(h.states.at(-1)).toMatchObject({ to: 'closed', reason: 'reconnect-now' });
    h.clock.advance(h.client.getSnapshot().retryInMs!);
    h.sock.open();
    expect(h.sock.frames('hello')[0]).not.toHaveProperty('token');
    h.sock.serverClose(4100, 'bad token');
    expect(h.states.at(-1)).toMatchObject({ to: 'closed', reason: 'auth-failed' });
    expect(h.errors.map((e) => e.code)).toContain('AUTH_FAILED');
    expect(h.client.getSnapshot().retryInMs).toBeFalsy();
  });

  it('a token set right after it in the same task is sent in band instead: no renewal', async () => {
    const h = setup({ token: 'alice' });
    const s = h.accept({ tokenExpiresInMs: 600_000 });
    h.client.setToken(undefined);
    h.client.setToken('alice2');
    await flushPromises();
    expect(s.live).toBe(true);
    expect(s.frames('auth').map((f) => f.token)).toEqual(['alice2']);
  });

  it('on a server that does not check tokens: nothing changes now, the next hello carries none', async () => {
    const h = setup({ token: 'alice' });
    const s = h.accept();
    h.client.setToken(undefined);
    await flushPromises();
    expect(s.live).toBe(true);
    s.serverClose(1006);
    h.clock.advance(h.client.getSnapshot().retryInMs!);
    h.sock.open();
    expect(h.sock.frames('hello')[0]).not.toHaveProperty('token');
  });

  it('while connecting: the attempt starts again without a token', async () => {
    const h = setup({ token: 'alice' });
    h.client.setToken(undefined);
    await flushPromises();
    h.sock.open();
    expect(h.sock.frames('hello')[0]).not.toHaveProperty('token');
  });
});
