// A `state` listener of the move to `closed` that schedules a retry runs before the
// retry timer is armed. What it calls on the client must win over that retry: close()
// left the retry armed (the closed client reconnected when it fired), reconnectNow(),
// connect() or setToken() started an attempt whose handshake deadline the retry then
// replaced (a socket left without a deadline, and killed as 'replaced' later).
import { describe, expect, it } from 'vitest';
import type { StateChange } from '../src';
import { flushPromises, setup } from './support/harness';

type H = ReturnType<typeof setup>;

/** Runs `fn` once, from the listener of the first move to `closed` with a retry scheduled. */
const onRetryScheduled = (h: H, fn: () => void) => {
  let done = false;
  h.client.on('state', (s: StateChange) => {
    if (done || s.to !== 'closed' || s.retryInMs === null) return;
    done = true;
    fn();
  });
};

describe('a listener of the move to closed (retry scheduled) calling back into the client', () => {
  it('close(): no timer, no socket, the client stays closed', async () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 100 } });
    h.accept();
    let closing: Promise<void> | undefined;
    onRetryScheduled(h, () => (closing = h.client.close()));
    h.sock.serverClose(1006);
    await closing;
    await flushPromises();
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason: 'close-requested', retryInMs: null });
    expect(h.clock.pending()).toBe(0);
    h.clock.advance(60_000);
    expect(h.sockets).toHaveLength(1);
    expect(h.client.state).toBe('closed');
  });

  it('close() when a token function failed (TOKEN_ERROR): the retry is not armed after it', async () => {
    const h = setup({ token: () => Promise.reject(new Error('auth server down')), reconnect: { jitter: 'none', initialDelayMs: 100 } });
    let closing: Promise<void> | undefined;
    onRetryScheduled(h, () => (closing = h.client.close()));
    await flushPromises();
    await closing;
    await flushPromises();
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason: 'close-requested' });
    expect(h.clock.pending()).toBe(0);
    h.clock.advance(60_000);
    await flushPromises();
    expect(h.client.state).toBe('closed');
  });

  it('connect(): a no-op while the retry waits; the retry runs as scheduled, once', () => {
    const h = setup({ token: 't1', reconnect: { jitter: 'none', initialDelayMs: 100 }, handshakeTimeoutMs: 5_000 });
    h.accept();
    onRetryScheduled(h, () => h.client.connect());
    h.sock.serverClose(1006);
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', retryInMs: 100 });
    expect(h.sockets).toHaveLength(1);
    h.clock.advance(100);
    expect(h.sockets).toHaveLength(2);
    expect(h.live()).toBe(1);
  });

  it.each([['reconnectNow()', (h: H) => h.client.reconnectNow()]])('%s: one attempt now, with its handshake deadline; no retry runs later', (_, call) => {
    const h = setup({ token: 't1', reconnect: { jitter: 'none', initialDelayMs: 100 }, handshakeTimeoutMs: 5_000 });
    h.accept();
    onRetryScheduled(h, () => call(h));
    h.sock.serverClose(1006);
    expect(h.client.state).toBe('connecting');
    expect(h.sockets).toHaveLength(2);
    // The retry's 100 ms pass: still the same attempt, nothing replaced.
    h.clock.advance(1_000);
    expect(h.sockets).toHaveLength(2);
    expect(h.live()).toBe(1);
    expect(h.client.state).toBe('connecting');
    // The attempt's own deadline still runs.
    h.clock.advance(4_000);
    expect(h.sockets[1]!.live).toBe(false);
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason: 'handshake-timeout' });
  });

  it('setToken(): the scheduled retry is the next attempt, with the new token (as setToken() while closed)', () => {
    const h = setup({ token: 't1', reconnect: { jitter: 'none', initialDelayMs: 100 }, handshakeTimeoutMs: 5_000 });
    h.accept();
    onRetryScheduled(h, () => h.client.setToken('t2'));
    h.sock.serverClose(1006);
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', retryInMs: 100 });
    expect(h.sockets).toHaveLength(1);
    h.clock.advance(100);
    expect(h.sockets).toHaveLength(2);
    h.sock.open();
    expect(h.sock.frames('hello').map((f) => f.token)).toEqual(['t2']);
    h.clock.advance(5_000);
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason: 'handshake-timeout' });
  });
});
