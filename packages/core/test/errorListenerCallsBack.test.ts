// The `error` event of a failed attempt or of a client that gives up is where an app
// reacts to it: a new token for AUTH_FAILED, close() on TOKEN_ERROR. It used to be told
// before the state moved to `closed`, so what it called met the old state: close() was
// undone by the retry scheduled after it, setToken() did nothing (the state was still
// `open`) or started an attempt that the move to `closed` then hid.
import { describe, expect, it } from 'vitest';
import { isLifelineError } from '../src';
import type { LifelineError } from '../src';
import { flushPromises, setup } from './support/harness';

type H = ReturnType<typeof setup>;

const onError = (h: H, code: string, fn: () => void) => {
  let done = false;
  h.client.on('error', (e: LifelineError) => {
    if (done || !isLifelineError(e, code as never)) return;
    done = true;
    fn();
  });
};

describe('an error listener calling back into the client', () => {
  it('close() on TOKEN_ERROR: the client stays closed, no timer, no socket', async () => {
    const h = setup({ token: () => Promise.reject(new Error('auth server down')), reconnect: { jitter: 'none', initialDelayMs: 100 } });
    let closing: Promise<void> | undefined;
    onError(h, 'TOKEN_ERROR', () => (closing = h.client.close()));
    await flushPromises();
    expect(closing).toBeDefined();
    await closing;
    await flushPromises();
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason: 'close-requested', retryInMs: null });
    expect(h.clock.pending()).toBe(0);
    h.clock.advance(60_000);
    await flushPromises();
    expect(h.sockets).toHaveLength(0);
    expect(h.client.state).toBe('closed');
  });

  it('setToken() on TOKEN_ERROR: the state never says closed while a socket is live, one attempt at a time', async () => {
    let fail = true;
    const h = setup({ token: async () => (fail ? Promise.reject(new Error('down')) : 't'), reconnect: { jitter: 'none', initialDelayMs: 100 } });
    onError(h, 'TOKEN_ERROR', () => {
      fail = false;
      h.client.setToken('t2');
    });
    const closedWithSocket: number[] = [];
    h.client.on('state', () => {
      if (h.client.state === 'closed' && h.live()) closedWithSocket.push(h.live());
    });
    await flushPromises();
    await flushPromises();
    // The retry scheduled by the failure is the next attempt, with the new token.
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason: 'token-error', retryInMs: 100 });
    h.clock.advance(100);
    expect(h.sockets).toHaveLength(1);
    h.accept();
    expect(h.sock.frames('hello').map((f) => f.token)).toEqual(['t2']);
    expect(h.client.state).toBe('open');
    expect(closedWithSocket).toEqual([]);
  });

  it('setToken() on AUTH_FAILED after open (static token refused with 4100): connects at once with the new token', () => {
    const h = setup({ token: 't1' });
    h.accept();
    onError(h, 'AUTH_FAILED', () => h.client.setToken('t2'));
    h.sock.serverClose(4100, 'bad token');
    expect(h.client.state).toBe('connecting');
    expect(h.sockets).toHaveLength(2);
    h.accept();
    expect(h.sock.frames('hello').map((f) => f.token)).toEqual(['t2']);
    expect(h.client.state).toBe('open');
  });

  it('setToken() on AUTH_FAILED while connecting: one attempt, and the state says connecting while it runs', () => {
    const h = setup({ token: 't1' });
    h.sock.open();
    onError(h, 'AUTH_FAILED', () => h.client.setToken('t2'));
    h.sock.serverClose(4100, 'bad token');
    expect(h.sockets).toHaveLength(2);
    expect(h.live()).toBe(1);
    expect(h.client.state).toBe('connecting');
    h.accept();
    expect(h.sock.frames('hello').map((f) => f.token)).toEqual(['t2']);
    expect(h.client.state).toBe('open');
  });

  it('close() on CONNECTION_REFUSED (terminal close code): the last word is close-requested, no timer', async () => {
    const h = setup();
    h.accept();
    let closing: Promise<void> | undefined;
    onError(h, 'CONNECTION_REFUSED', () => (closing = h.client.close()));
    h.sock.serverClose(4000, 'version');
    await closing;
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason: 'close-requested' });
    expect(h.clock.pending()).toBe(0);
  });
});
