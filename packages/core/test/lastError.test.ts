// `snapshot.lastError` says why the client is not (yet) open. It used to keep the last error
// reported with any transition for good: a token function that failed once, then worked,
// left a React badge reading "connecting (TOKEN_ERROR)" at every later network drop, and
// "open (AUTH_FAILED)" after setToken() fixed the refusal.
import { describe, expect, it } from 'vitest';
import { flushPromises, setup } from './support/harness';

const lastCode = (h: ReturnType<typeof setup>) => h.client.getSnapshot().lastError?.code ?? null;

/** A client whose token function fails while `fail.now` is set. */
async function withTokenFunction(options = {}) {
  const fail = { now: true };
  const h = setup({
    token: async () => {
      if (fail.now) throw new Error('login service down');
      return 'good';
    },
    reconnect: { jitter: 'none', initialDelayMs: 10 },
    ...options,
  });
  await flushPromises();
  return { h, fail };
}

describe('snapshot.lastError', () => {
  it('a TOKEN_ERROR stays while the client retries, is cleared by the handshake that succeeds, and a later plain drop carries none', async () => {
    const { h, fail } = await withTokenFunction();
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason: 'token-error' });
    expect(lastCode(h)).toBe('TOKEN_ERROR');
    fail.now = false;
    h.clock.advance(10);
    // Not open yet, and the last attempt failed on its token: that is why.
    expect(h.client.state).toBe('connecting');
    expect(lastCode(h)).toBe('TOKEN_ERROR');
    await flushPromises();
    h.accept();
    expect(h.client.state).toBe('open');
    expect(lastCode(h)).toBeNull();
    h.sock.serverClose(1006);
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason: 'socket-closed' });
    expect(lastCode(h)).toBeNull();
    h.clock.advance(h.client.getSnapshot().retryInMs!);
    expect(h.client.state).toBe('connecting');
    expect(lastCode(h)).toBeNull();
  });

  it('AUTH_FAILED stays through the attempt setToken() starts and is cleared once that attempt is welcomed', () => {
    const h = setup({ token: 'bad' });
    h.sock.open();
    h.sock.serverClose(4100, 'bad token');
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason: 'auth-failed' });
    expect(lastCode(h)).toBe('AUTH_FAILED');
    h.client.setToken('good');
    expect(h.client.state).toBe('connecting');
    expect(lastCode(h)).toBe('AUTH_FAILED');
    h.accept();
    expect(h.client.getSnapshot()).toMatchObject({ state: 'open', lastError: null });
  });

  it('an attempt after a TOKEN_ERROR that fails without an error (the server is unreachable) leaves none: the token is not the reason any more', async () => {
    const { h, fail } = await withTokenFunction();
    fail.now = false;
    h.clock.advance(10);
    await flushPromises();
    h.sock.serverClose(1006, 'connect ECONNREFUSED');
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason: 'socket-closed' });
    expect(lastCode(h)).toBeNull();
    expect(h.client.stats().lastCloseReason).toBe('connect ECONNREFUSED');
  });

  it('a retry still waiting keeps it: going offline and back (closed -> closed) does not clear it', async () => {
    const { h } = await withTokenFunction();
    h.lifecycle.setOnline(false);
    h.clock.advance(10);
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason: 'offline' });
    expect(lastCode(h)).toBe('TOKEN_ERROR');
  });

  it("a token function's token refused (4100) and a 1009 close carry their error in the transition, as lastError and on the state event", async () => {
    let n = 0;
    const h = setup({ token: async () => `t${n++}`, reconnect: { jitter: 'none', initialDelayMs: 10 } });
    await flushPromises();
    h.sock.open();
    h.sock.serverClose(4100, 'bad token');
    expect(lastCode(h)).toBe('TOKEN_ERROR');
    expect(h.states.at(-1)).toMatchObject({ to: 'closed', error: { code: 'TOKEN_ERROR' } });
    h.clock.advance(h.client.getSnapshot().retryInMs!);
    await flushPromises();
    h.accept();
    expect(lastCode(h)).toBeNull();
    h.sock.serverClose(1009, 'frame too big');
    expect(lastCode(h)).toBe('MESSAGE_TOO_LARGE');
    expect(h.states.at(-1)).toMatchObject({ to: 'closed', error: { code: 'MESSAGE_TOO_LARGE' } });
    // Each error is still said once on the `error` event.
    expect(h.errors.map((e) => e.code)).toEqual(['TOKEN_ERROR', 'MESSAGE_TOO_LARGE']);
  });

  it('giving up (max-attempts) keeps the error the last attempt failed with', async () => {
    const { h } = await withTokenFunction({ reconnect: { jitter: 'none', initialDelayMs: 10, maxAttempts: 1 } });
    h.clock.advance(10);
    await flushPromises();
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason: 'max-attempts', retryInMs: null });
    expect(lastCode(h)).toBe('TOKEN_ERROR');
  });

  it('close() ends with none, also while a retry after an error waited', async () => {
    const h = setup();
    h.accept();
    const closing = h.client.close();
    h.sock.serverClose(1000);
    await closing;
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason: 'close-requested', lastError: null });
    const { h: waiting } = await withTokenFunction();
    expect(lastCode(waiting)).toBe('TOKEN_ERROR');
    await waiting.client.close();
    expect(waiting.client.getSnapshot()).toMatchObject({ state: 'closed', reason: 'close-requested', lastError: null });
  });
});
