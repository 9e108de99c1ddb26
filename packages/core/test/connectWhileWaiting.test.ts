import { describe, expect, it } from 'vitest';
import { isLifelineError } from '../src';
import { flushPromises, setup } from './support/harness';

describe('connect() while waiting to retry', () => {
  it('is a no-op: the backoff runs to its end (reconnectNow() skips it)', () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 1000 } });
    h.accept();
    h.sock.serverClose(1006);
    expect(h.client.state).toBe('closed');
    expect(h.sockets.length).toBe(1);
    h.client.connect();
    h.client.connect();
    expect(h.sockets.length).toBe(1);
    h.clock.advance(999);
    expect(h.sockets.length).toBe(1);
    h.clock.advance(1);
    expect(h.sockets.length).toBe(2);
    expect(h.client.state).toBe('connecting');
    h.sock.serverClose(1006);
    h.client.reconnectNow();
    expect(h.sockets.length).toBe(3);
  });

  it('starts again after the client gave up', () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 10, maxAttempts: 1 } });
    h.sock.serverClose(1006);
    h.clock.advance(10);
    h.sock.serverClose(1006);
    expect(h.states.at(-1)).toMatchObject({ to: 'closed', reason: 'max-attempts' });
    const n = h.sockets.length;
    h.client.connect();
    expect(h.sockets.length).toBe(n + 1);
  });
});

describe('a token that is not a string', () => {
  it('a token function answering null fails the attempt with TOKEN_ERROR and retries with backoff; nothing is sent', async () => {
    let token: string | null = null;
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 100 }, token: () => token as string });
    await flushPromises();
    expect(h.sockets.length).toBe(0);
    expect(h.states.at(-1)).toMatchObject({ to: 'closed', reason: 'token-error', retryInMs: 100 });
    expect(isLifelineError(h.errors[0], 'TOKEN_ERROR')).toBe(true);
    expect(h.errors[0].message).toMatch(/token is null/);
    token = 't1';
    h.clock.advance(100);
    await flushPromises();
    expect(h.sockets.length).toBe(1);
    h.sock.open();
    expect(h.sock.frames('hello')[0].token).toBe('t1');
  });

  it('a static token of another type (setToken(42)) is TOKEN_ERROR too', async () => {
    const h = setup({ autoConnect: false, reconnect: { jitter: 'none', initialDelayMs: 100 } });
    h.client.setToken(42 as any);
    h.client.connect();
    await flushPromises();
    expect(h.sockets.length).toBe(0);
    expect(h.errors[0].message).toMatch(/token is number/);
  });
});
