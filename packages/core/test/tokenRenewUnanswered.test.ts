// In-band renewal with its answer unread (a Node trial: a consumer paused for backpressure
// reads `authed` only after its backlog). Only the answer scheduled the next renewal, so
// with short tokens none was sent before the renewed token expired: the server closed 4101
// and the client reconnected (and replayed) once per token lifetime. An `auth` still
// unanswered is renewed again as if the new token lived as long as the last one.
import { describe, expect, it, vi } from 'vitest';
import type { TokenContext } from '../src';
import { flushPromises, setup } from './support/harness';

/** Open on a server saying the token expires in 20 s; random 0.5: renewals 80 % in, less the 1 s check (15 s). */
async function openWith20sTokens() {
  const fn = vi.fn(async (_ctx: TokenContext) => `t${fn.mock.calls.length - 1}`);
  const h = setup({ token: fn, random: () => 0.5, heartbeat: { checkIntervalMs: 1000 } });
  await flushPromises();
  const s = h.accept({ tokenExpiresInMs: 20_000, heartbeatMs: 15_000 });
  // The server's pings keep the (paused, say) connection alive: the socket is not silent.
  const pingFor = async (ms: number) => {
    for (let i = 0; i < ms / 1000; i++) {
      h.clock.advance(1000);
      if (h.client.state === 'open') s.push({ type: 'ping' });
      await flushPromises();
    }
  };
  return { h, s, fn, pingFor };
}

describe('an in-band renewal whose answer is not read', () => {
  it('is renewed again one renewal interval after it was sent, before the token it sent expires', async () => {
    const { h, s, pingFor } = await openWith20sTokens();
    await pingFor(15_000);
    expect(s.frames('auth')).toMatchObject([{ token: 't1' }]); // 15 s in; t1 expires 35 s in
    await pingFor(14_000);
    expect(s.frames('auth')).toHaveLength(1);
    await pingFor(1000); // 30 s in: t2 goes out while t1 still holds
    expect(s.frames('auth').map((f) => f.token)).toEqual(['t1', 't2']);
    expect(h.client.state).toBe('open');
    expect(h.sockets.length).toBe(1);
  });

  it('the late answer of the earlier auth counts for nothing; the latest one schedules the next renewal from when it was sent', async () => {
    const { s, pingFor } = await openWith20sTokens();
    await pingFor(30_000);
    const [first, second] = s.frames('auth');
    s.push({ type: 'authed', ref: first.ref, tokenExpiresInMs: 20_000 }); // read at 30 s: stale
    await pingFor(1000);
    s.push({ type: 'authed', ref: second.ref, tokenExpiresInMs: 20_000 }); // for t2, sent at 30 s
    await pingFor(13_000); // 44 s in
    expect(s.frames('auth')).toHaveLength(2);
    await pingFor(1000); // 45 s in: 15 s after t2 was sent
    expect(s.frames('auth')).toHaveLength(3);
  });

  it('an answer read in time replaces the provisional renewal with the new expiry\'s', async () => {
    const { s, pingFor } = await openWith20sTokens();
    await pingFor(15_000);
    s.push({ type: 'authed', ref: s.frames('auth')[0].ref, tokenExpiresInMs: 60_000 }); // a longer-lived token
    await pingFor(30_000); // 45 s in: the 15 s interval of the 20 s tokens would have renewed twice
    expect(s.frames('auth')).toHaveLength(1);
    await pingFor(17_000); // 62 s in: 47 s (80 % of 60 s, less 1 s) after t1 was sent
    expect(s.frames('auth')).toHaveLength(2);
  });

  it('on a static token\'s connection (no renewal interval known) an unanswered setToken() is not sent again', async () => {
    // A static token's connection: no renewal interval known, so none is guessed.
    const h = setup({ token: 'static', random: () => 0.5 });
    const s = h.accept({ tokenExpiresInMs: 20_000, heartbeatMs: 15_000 });
    h.client.setToken('next');
    expect(s.frames('auth')).toEqual([]);
    await flushPromises();
    expect(s.frames('auth')).toMatchObject([{ token: 'next' }]);
    for (let i = 0; i < 60; i++) h.clock.advance(1000), s.push({ type: 'ping' }), await flushPromises();
    expect(s.frames('auth')).toHaveLength(1);
  });
});
