// In-band token renewal (`auth`, PROTOCOL.md §10.1): a server with an auth secret says in
// its welcome when the hello's token expires; before then the client asks its token
// function again and sends the new token on the open connection, instead of being closed
// 4101 and reconnecting (and replaying) once per token lifetime.
import { describe, expect, it, vi } from 'vitest';
import { isLifelineError, type TokenContext } from '../src';
import { flushPromises, setup } from './support/harness';

/** A client whose token function hands out t0, t1, … and which is open on a server saying its token expires in 100 s. */
async function openWithExpiry(random = () => 0.5) {
  const fn = vi.fn(async (_ctx: TokenContext) => `t${fn.mock.calls.length - 1}`);
  const h = setup({ token: fn, random, heartbeat: { checkIntervalMs: 1000 } });
  await flushPromises();
  const s = h.accept({ tokenExpiresInMs: 100_000, heartbeatMs: 15_000 });
  const pingFor = (ms: number) => {
    for (let i = 0; i < ms / 1000; i++) {
      h.clock.advance(1000);
      if (h.client.state === 'open') h.sock.push({ type: 'ping' });
    }
  };
  return { h, s, fn, pingFor };
}

describe('token renewal in band', () => {
  it('asks the function (reason refresh) at 75-85 % of the token life and sends the new token on the open connection', async () => {
    const { h, s, fn, pingFor } = await openWithExpiry(); // random 0.5: at 80 %
    pingFor(79_000);
    await flushPromises();
    expect(s.frames('auth')).toEqual([]);
    pingFor(1000);
    await flushPromises();
    expect(fn.mock.calls.at(-1)?.[0]).toMatchObject({ reason: 'refresh' });
    expect(s.frames('auth')).toMatchObject([{ type: 'auth', token: 't1' }]);
    expect(h.client.state).toBe('open');
    expect(h.sockets.length).toBe(1);
  });

  it('the authed answer schedules the next renewal from the new expiry; no reconnect across several lifetimes', async () => {
    const { h, s, pingFor } = await openWithExpiry();
    for (let round = 1; round <= 3; round++) {
      pingFor(80_000);
      await flushPromises();
      const auth = s.frames('auth').at(-1);
      expect(auth).toMatchObject({ token: `t${round}` });
      s.push({ type: 'authed', ref: auth.ref, tokenExpiresInMs: 100_000 });
    }
    expect(s.frames('auth')).toHaveLength(3);
    expect(h.sockets.length).toBe(1);
  });

  it('tokens that expire together are renewed spread over 75-85 % of their life', async () => {
    const at = new Set<number>();
    for (let i = 0; i < 10; i++) {
      const { s, pingFor } = await openWithExpiry(() => i / 10);
      let t = 0;
      while (!s.frames('auth').length && t < 90_000) pingFor(1000), await flushPromises(), (t += 1000);
      expect(t).toBeGreaterThanOrEqual(75_000);
      expect(t).toBeLessThanOrEqual(86_000);
      at.add(t);
    }
    expect(at.size).toBeGreaterThanOrEqual(5);
  });

  it('a static token is not renewed (nothing to renew it with); the 4101 path applies', async () => {
    const h = setup({ token: 'static', heartbeat: { checkIntervalMs: 1000 } });
    const s = h.accept({ tokenExpiresInMs: 10_000, heartbeatMs: 15_000 });
    for (let i = 0; i < 20; i++) h.clock.advance(1000), s.push({ type: 'ping' });
    await flushPromises();
    expect(s.frames('auth')).toEqual([]);
  });

  it('a welcome without tokenExpiresInMs (an open or older server): no auth, ever', async () => {
    const fn = vi.fn(async () => 't');
    const h = setup({ token: fn, heartbeat: { checkIntervalMs: 1000 } });
    await flushPromises();
    const s = h.accept({ heartbeatMs: 15_000 });
    for (let i = 0; i < 200; i++) h.clock.advance(1000), s.push({ type: 'ping' });
    h.client.setToken('other');
    await flushPromises();
    expect(s.frames('auth')).toEqual([]);
    expect(h.client.state).toBe('open');
  });

  it('setToken() while open sends the token in band at once; authed re-subscribes a channel refused before', async () => {
    const h = setup({ token: 'narrow' });
    const s = h.accept({ tokenExpiresInMs: 600_000 });
    const ch = h.client.channel('secret');
    ch.subscribe(() => {});
    const sub = s.frames('sub')[0];
    s.push({ type: 'error', ref: sub.ref, channel: 'secret', code: 'FORBIDDEN', message: 'no' });
    expect(ch.getSnapshot().state).toBe('failed');
    h.client.setToken('wide');
    await flushPromises();
    const auth = s.frames('auth')[0];
    expect(auth).toMatchObject({ token: 'wide' });
    s.push({ type: 'authed', ref: auth.ref, tokenExpiresInMs: 600_000 });
    expect(s.frames('sub')).toHaveLength(2);
    expect(ch.getSnapshot().state).toBe('subscribing');
    expect(h.sockets.length).toBe(1);
  });

  it('a function that fails to renew is a TOKEN_ERROR event; the connection goes on', async () => {
    let fail = false;
    const h = setup({
      token: async () => {
        if (fail) throw new Error('idp down');
        return 't';
      },
      heartbeat: { checkIntervalMs: 1000 },
      random: () => 0.5,
    });
    await flushPromises();
    const s = h.accept({ tokenExpiresInMs: 10_000, heartbeatMs: 15_000 });
    fail = true;
    for (let i = 0; i < 8; i++) h.clock.advance(1000), s.push({ type: 'ping' });
    await flushPromises();
    expect(h.errors.map((e) => e.code)).toEqual(['TOKEN_ERROR']);
    expect(s.frames('auth')).toEqual([]);
    expect(h.client.state).toBe('open');
  });

  it('a refused token (error with the auth ref) is an error event; the connection goes on', async () => {
    const { h, s, pingFor } = await openWithExpiry();
    pingFor(80_000);
    await flushPromises();
    const auth = s.frames('auth')[0];
    s.push({ type: 'error', ref: auth.ref, code: 'BAD_TOKEN', message: 'token names another subject' });
    expect(isLifelineError(h.errors.at(-1), 'SERVER_ERROR')).toBe(true);
    expect(h.errors.at(-1)?.serverCode).toBe('BAD_TOKEN');
    expect(h.client.state).toBe('open');
  });

  it('an answer of the function that comes after the connection changed is not sent on the new one', async () => {
    let answer!: (t: string) => void;
    let calls = 0;
    const h = setup({
      token: () => (++calls === 2 ? new Promise<string>((r) => (answer = r)) : Promise.resolve(`t${calls}`)),
      heartbeat: { checkIntervalMs: 1000 },
      random: () => 0.5,
      reconnect: { jitter: 'none', initialDelayMs: 10 },
    });
    await flushPromises();
    const s1 = h.accept({ tokenExpiresInMs: 10_000, heartbeatMs: 15_000 });
    for (let i = 0; i < 8; i++) h.clock.advance(1000), s1.push({ type: 'ping' });
    expect(calls).toBe(2); // the renewal is being asked for
    s1.serverClose(1006);
    h.clock.advance(10);
    answer('late'); // the reconnect shares the call in flight: it gets this token in its hello
    await flushPromises();
    const s2 = h.accept({ tokenExpiresInMs: 10_000, heartbeatMs: 15_000 });
    expect(s2).not.toBe(s1);
    expect(s1.frames('auth')).toEqual([]);
    expect(s2.frames('auth')).toEqual([]);
  });
});
