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
  it('asks the function (reason refresh) at 75-85 % of the token life, one check early, and sends the new token on the open connection', async () => {
    const { h, s, fn, pingFor } = await openWithExpiry(); // random 0.5: at 80 %, less the 1 s check interval
    pingFor(78_000);
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
      pingFor(79_000);
      await flushPromises();
      const auth = s.frames('auth').at(-1);
      expect(auth).toMatchObject({ token: `t${round}` });
      s.push({ type: 'authed', ref: auth.ref, tokenExpiresInMs: 100_000 });
    }
    expect(s.frames('auth')).toHaveLength(3);
    expect(h.sockets.length).toBe(1);
  });

  it('the next renewal counts from when the token was sent, not from when its answer was read (a paused socket reads it late)', async () => {
    const { s, pingFor } = await openWithExpiry(); // renewals at 80 % of 100 s, less 1 s
    pingFor(79_000);
    await flushPromises();
    const first = s.frames('auth')[0];
    pingFor(30_000); // the answer is read 30 s after the token was sent
    s.push({ type: 'authed', ref: first.ref, tokenExpiresInMs: 100_000 });
    pingFor(48_000); // 78 s after the send
    await flushPromises();
    expect(s.frames('auth')).toHaveLength(1);
    pingFor(2000); // 80 s after the send: before the new token expires at 100 s
    await flushPromises();
    expect(s.frames('auth')).toHaveLength(2);
  });

  it('the welcome\'s expiry counts from when the socket was made, not from the welcome: a slow handshake comes off the wait, not the margin', async () => {
    const fn = vi.fn(async (_ctx: TokenContext) => `t${fn.mock.calls.length - 1}`);
    const h = setup({ token: fn, random: () => 0.5, heartbeat: { checkIntervalMs: 1000 } });
    await flushPromises();
    h.clock.advance(3000); // 3 s from the socket to the welcome (the server read the hello after 1.5 s, say)
    const s = h.accept({ tokenExpiresInMs: 100_000, heartbeatMs: 15_000 });
    for (let i = 0; i < 75; i++) h.clock.advance(1000), s.push({ type: 'ping' });
    await flushPromises();
    expect(s.frames('auth')).toEqual([]);
    h.clock.advance(1000); // 79 s after the socket was made (82 s after the welcome before)
    await flushPromises();
    expect(s.frames('auth')).toHaveLength(1);
  });

  it('tokens that expire together are renewed spread over 75-85 % of their life, one check early', async () => {
    const at = new Set<number>();
    for (let i = 0; i < 10; i++) {
      const { s, pingFor } = await openWithExpiry(() => i / 10);
      let t = 0;
      while (!s.frames('auth').length && t < 90_000) pingFor(1000), await flushPromises(), (t += 1000);
      expect(t).toBeGreaterThanOrEqual(74_000);
      expect(t).toBeLessThanOrEqual(85_000);
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

  it('a token refused in band is tried in a new connection (its hello), and said as an error event after the state change', async () => {
    const { h, s, fn, pingFor } = await openWithExpiry();
    const seen: string[] = [];
    h.client.on('state', (st) => seen.push(`state ${st.to} ${st.reason}`));
    h.client.on('error', (e) => seen.push(`error ${e.serverCode}`));
    pingFor(80_000);
    await flushPromises();
    const auth = s.frames('auth')[0];
    s.push({ type: 'error', ref: auth.ref, code: 'BAD_TOKEN', message: 'token names another subject' });
    expect(seen).toEqual([expect.stringMatching(/^state closed reconnect-now/), 'error BAD_TOKEN']);
    h.clock.advance(h.client.getSnapshot().retryInMs!);
    await flushPromises();
    expect(h.sockets.length).toBe(2);
    h.sock.open();
    expect(fn.mock.calls.at(-1)?.[0]).toMatchObject({ reason: 'connect' });
  });

  it('an auth refused RATE_LIMITED (not judged) is sent again after the hint on the same connection, with the latest token', async () => {
    const h = setup({ token: 't0', heartbeat: { checkIntervalMs: 1000 } });
    const s = h.accept({ tokenExpiresInMs: 600_000, heartbeatMs: 15_000 });
    h.client.on('error', () => {});
    h.client.setToken('t1');
    await flushPromises();
    const first = s.frames('auth')[0];
    expect(first).toMatchObject({ token: 't1' });
    s.push({ type: 'error', ref: first.ref, code: 'RATE_LIMITED', message: 'auth rate limit reached', retryAfterMs: 2500 });
    expect(s.live).toBe(true);
    // Within the hint nothing is sent (each refusal counts toward the bad-frame limit), however
    // often the token changes; the latest one goes once the hint is over.
    h.client.setToken('t2');
    h.client.setToken('t3');
    for (let i = 0; i < 2; i++) h.clock.advance(1000), s.push({ type: 'ping' });
    await flushPromises();
    expect(s.frames('auth')).toHaveLength(1);
    h.clock.advance(1000), s.push({ type: 'ping' });
    await flushPromises();
    expect(s.frames('auth').map((f) => f.token)).toEqual(['t1', 't3']);
    s.push({ type: 'authed', ref: s.frames('auth')[1].ref, tokenExpiresInMs: 600_000 });
    h.client.setToken('t4'); // after the hint: at once again
    await flushPromises();
    expect(s.frames('auth').map((f) => f.token)).toEqual(['t1', 't3', 't4']);
    expect(h.sockets.length).toBe(1);
    expect(h.client.state).toBe('open');
  });

  it("a rate limit's hint ends with its connection: on the next one setToken() sends at once", async () => {
    const h = setup({ token: 't0', heartbeat: { checkIntervalMs: 1000 }, reconnect: { initialDelayMs: 10, maxDelayMs: 10, jitter: 'none' } });
    const s = h.accept({ tokenExpiresInMs: 600_000, heartbeatMs: 15_000 });
    h.client.on('error', () => {});
    h.client.setToken('t1');
    await flushPromises();
    s.push({ type: 'error', ref: s.frames('auth')[0].ref, code: 'RATE_LIMITED', message: 'auth rate limit reached', retryAfterMs: 60_000 });
    s.serverClose(1006, '');
    h.clock.advance(10);
    await flushPromises();
    const s2 = h.accept({ tokenExpiresInMs: 600_000, heartbeatMs: 15_000 });
    expect(s2.frames('hello')[0].token).toBe('t1');
    h.client.setToken('t2');
    await flushPromises();
    expect(s2.frames('auth').map((f) => f.token)).toEqual(['t2']);
  });

  it('setToken() for another user while open: refused in band (another subject), so the connection is renewed with it', async () => {
    const h = setup({ token: 'alice' });
    const s = h.accept({ tokenExpiresInMs: 600_000 });
    h.client.channel('alice:inbox').subscribe(() => {});
    h.client.setToken('bob');
    await flushPromises();
    const auth = s.frames('auth')[0];
    s.push({ type: 'error', ref: auth.ref, code: 'BAD_TOKEN', message: 'token names another subject' });
    expect(s.live).toBe(false); // alice's connection (and her inbox stream) is gone
    h.clock.advance(h.client.getSnapshot().retryInMs!);
    h.sock.open();
    expect(h.sock.frames('hello')[0].token).toBe('bob');
  });

  it('a late renewal of the old function after setToken() is not sent: the new token stays', async () => {
    let answer!: (t: string) => void;
    const h = setup({ token: () => new Promise<string>((r) => (answer = r)), heartbeat: { checkIntervalMs: 1000 }, random: () => 0.5 });
    const first = answer;
    first('t0');
    await flushPromises();
    const s = h.accept({ tokenExpiresInMs: 10_000, heartbeatMs: 15_000 });
    for (let i = 0; i < 8; i++) h.clock.advance(1000), s.push({ type: 'ping' }); // the renewal hangs
    h.client.setToken(async () => 'new-narrow');
    await flushPromises();
    answer('old-wide');
    await flushPromises();
    expect(s.frames('auth').map((f) => f.token)).toEqual(['new-narrow']);
  });

  it('authed counts only as the answer to the latest auth', async () => {
    const { s, pingFor } = await openWithExpiry();
    s.push({ type: 'authed', ref: 999, tokenExpiresInMs: 0 }); // nothing was sent with that ref
    pingFor(10_000);
    await flushPromises();
    expect(s.frames('auth')).toEqual([]);
  });

  it('a server answering an expiry of 0 every time (its clock ahead of that of the issuer) gets a renewal every 5 s, not one per check', async () => {
    const { h, s, fn, pingFor } = await openWithExpiry();
    pingFor(80_000);
    await flushPromises();
    const calls = fn.mock.calls.length;
    const answered = new Set<number>();
    for (let i = 0; i < 60; i++) {
      const last = s.frames('auth').at(-1);
      if (last && !answered.has(last.ref)) answered.add(last.ref), s.push({ type: 'authed', ref: last.ref, tokenExpiresInMs: 0 });
      pingFor(1000);
      await flushPromises();
    }
    expect(fn.mock.calls.length - calls).toBeLessThanOrEqual(13);
    expect(fn.mock.calls.length - calls).toBeGreaterThanOrEqual(10);
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
