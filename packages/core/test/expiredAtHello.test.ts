import { describe, expect, it, vi } from 'vitest';
import { isLifelineError } from '../src';
import { flushPromises, setup } from './support/harness';
import { welcomeFrame } from './support/fakeSocket';

/**
 * A token function that gives a token already expired (a stale file): the server closes the
 * hello 4101, before any welcome. Taken as "expired while connected" (renew and retry at
 * once), it was retried for ever with no `error` event: a Node trial counted ~54 handshakes
 * in 5 s, each closed 4101. Such a close is now a refusal of the token given: `TOKEN_ERROR`
 * each time and the backoff. Not a stop when the same token comes again (as after a 4100):
 * a file rotated a second after `exp`, or a clock a second behind, gives the old token once
 * more, and stopping there stopped a whole fleet for good (a review of the first version).
 * A 4101 after a welcome (expired while connected) is still renewed within the first delay.
 */
describe('a 4101 before the welcome: the token given was already expired', () => {
  const hello = (h: ReturnType<typeof setup>) => JSON.parse(h.sock.sent[0]!);

  it('the same stale token again: a TOKEN_ERROR per attempt and the growing backoff, then open once the function gives a fresh one', async () => {
    let file = 'stale';
    const fn = vi.fn(async () => file);
    const h = setup({ token: fn, reconnect: { jitter: 'none', initialDelayMs: 100 } });
    await flushPromises();
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      h.sock.open();
      expect(hello(h).token).toBe('stale');
      h.sock.serverClose(4101, 'token expired');
      const snap = h.client.getSnapshot();
      expect(snap).toMatchObject({ state: 'closed', reason: 'socket-closed' });
      waits.push(snap.retryInMs!);
      h.clock.advance(snap.retryInMs!);
      await flushPromises();
    }
    expect(waits).toEqual([100, 200, 400, 800]);
    expect(h.errors.map((e) => e.code)).toEqual(Array(4).fill('TOKEN_ERROR'));
    expect(h.errors[0].message).toBe('token refused (4101 expired)');
    expect((fn.mock.calls[1] as any)[0].reason).toBe('expired');
    // The sidecar rotates the file: the next attempt carries it and opens.
    file = 'fresh';
    h.sock.open();
    expect(hello(h).token).toBe('stale');
    h.sock.serverClose(4101, 'token expired');
    h.clock.advance(h.client.getSnapshot().retryInMs!);
    await flushPromises();
    h.accept();
    expect(hello(h).token).toBe('fresh');
    expect(h.client.state).toBe('open');
    expect(h.errors.some((e) => isLifelineError(e, 'AUTH_FAILED'))).toBe(false);
  });

  it('a rotation lagging the exp by 1.5 s: the welcomed 4101, the old token refused at the hello, then the new one opens (it stopped AUTH_FAILED)', async () => {
    let file = 't1';
    const h = setup({ token: async () => file, reconnect: { jitter: 'none', initialDelayMs: 500 } });
    await flushPromises();
    h.accept({ tokenExpiresInMs: 60_000 });
    const t0 = h.clock.now();
    h.sock.serverClose(4101, 'token expired');
    h.clock.advance(h.client.getSnapshot().retryInMs!);
    await flushPromises();
    h.sock.open();
    h.sock.serverClose(4101, 'token expired');
    h.clock.advance(h.client.getSnapshot().retryInMs!);
    await flushPromises();
    expect(h.clock.now() - t0).toBeLessThan(1500);
    h.clock.advance(1500 - (h.clock.now() - t0));
    file = 't2';
    for (let i = 0; i < 10 && h.client.state !== 'open'; i++) {
      const retry = h.client.getSnapshot().retryInMs;
      if (retry != null) h.clock.advance(retry);
      await flushPromises();
      if (h.client.state !== 'connecting') continue;
      // The server: 4101 for the old token at the hello, a welcome for the new one.
      h.sock.open();
      if (hello(h).token === 't1') h.sock.serverClose(4101, 'token expired');
      else h.sock.push(welcomeFrame({ tokenExpiresInMs: 60_000 }));
    }
    expect(h.client.state).toBe('open');
    expect(hello(h).token).toBe('t2');
  });

  it('a new token each time, each already expired: a TOKEN_ERROR per attempt and the capped backoff between them', async () => {
    let n = 0;
    const h = setup({ token: async () => `expired-${n++}`, reconnect: { jitter: 'none', initialDelayMs: 100, maxDelayMs: 1000 } });
    await flushPromises();
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      h.sock.open();
      h.sock.serverClose(4101, 'token expired');
      const { retryInMs } = h.client.getSnapshot();
      waits.push(retryInMs!);
      h.clock.advance(retryInMs!);
      await flushPromises();
    }
    expect(waits).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(h.errors.map((e) => e.code)).toEqual(Array(6).fill('TOKEN_ERROR'));
    expect(h.client.getSnapshot().attempt).toBe(6);
  });

  it('counts toward maxAttempts like any failed attempt', async () => {
    let n = 0;
    const h = setup({ token: async () => `expired-${n++}`, reconnect: { jitter: 'none', initialDelayMs: 100, maxAttempts: 2 } });
    await flushPromises();
    for (let i = 0; i < 3; i++) {
      h.sock.open();
      h.sock.serverClose(4101, 'token expired');
      h.clock.advance(h.client.getSnapshot().retryInMs ?? 0);
      await flushPromises();
    }
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason: 'max-attempts', retryInMs: null });
    expect(h.sockets.length).toBe(3);
  });

  it('after a welcome (expired while connected) the renewal is unchanged: within the first delay, no error, and the same token may come back', async () => {
    // A function caching its token: it may answer the old one once more before it notices.
    const tokens = ['t1', 't1', 't2'];
    const fn = vi.fn(async () => tokens.shift()!);
    const h = setup({ token: fn, reconnect: { jitter: 'none', initialDelayMs: 500 }, random: () => 0.5 });
    await flushPromises();
    h.accept();
    h.sock.serverClose(4101, 'token expired');
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', retryInMs: 250 });
    expect(h.errors).toEqual([]);
    h.clock.advance(250);
    await flushPromises();
    expect((fn.mock.calls[1] as any)[0].reason).toBe('expired');
    // The same token, now expired at the hello: a refusal (backoff, TOKEN_ERROR), not a stop.
    expect(h.sockets.length).toBe(2);
    h.sock.open();
    h.sock.serverClose(4101, 'token expired');
    expect(h.errors.map((e) => e.code)).toEqual(['TOKEN_ERROR']);
    h.clock.advance(h.client.getSnapshot().retryInMs!);
    await flushPromises();
    h.accept();
    expect(hello(h).token).toBe('t2');
    expect(h.client.state).toBe('open');
  });

  it('a token refused earlier (4100) and given again after a later welcome and 4101 is tried, not taken for the refused one', async () => {
    const tokens = ['a', 'b', 'a'];
    const fn = vi.fn(async () => tokens.shift()!);
    const h = setup({ token: fn, reconnect: { jitter: 'none', initialDelayMs: 100 } });
    await flushPromises();
    h.sock.open();
    h.sock.serverClose(4100, 'bad token');
    h.clock.advance(100);
    await flushPromises();
    h.accept();
    expect(hello(h).token).toBe('b');
    h.sock.serverClose(4101, 'token expired');
    h.clock.advance(h.client.getSnapshot().retryInMs!);
    await flushPromises();
    expect(h.sockets.length).toBe(3);
    h.sock.open();
    expect(hello(h).token).toBe('a');
  });
});
