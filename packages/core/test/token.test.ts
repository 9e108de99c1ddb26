import { describe, expect, it, vi } from 'vitest';
import { isLifelineError } from '../src';
import { flushPromises, setup } from './support/harness';

const hello = (h: ReturnType<typeof setup>) => JSON.parse(h.sock.sent[0]!);

describe('token', () => {
  it('a static string is sent in hello on every connect', () => {
    const h = setup({ token: 'abc', reconnect: { jitter: 'none', initialDelayMs: 10 } });
    h.sock.open();
    expect(hello(h).token).toBe('abc');
    h.sock.serverClose(1006);
    h.clock.advance(10);
    h.sock.open();
    expect(hello(h).token).toBe('abc');
  });

  it('a function is called on every connect with its reason', async () => {
    const fn = vi.fn(async () => `t${fn.mock.calls.length}`);
    const h = setup({ token: fn, reconnect: { jitter: 'none', initialDelayMs: 10 } });
    await flushPromises();
    h.accept();
    expect(hello(h).token).toBe('t1');
    h.sock.serverClose(1006);
    h.clock.advance(10);
    await flushPromises();
    h.sock.open();
    expect(hello(h).token).toBe('t2');
    expect(fn.mock.calls.map((c) => (c as any)[0].reason)).toEqual(['connect', 'connect']);
  });

  it('only one refresh is in flight at a time', async () => {
    let resolve!: (t: string) => void;
    const fn = vi.fn(() => new Promise<string>((r) => (resolve = r)));
    const h = setup({ token: fn });
    h.client.reconnectNow(); // no effect while connecting
    expect(fn).toHaveBeenCalledTimes(1);
    resolve('x');
    await flushPromises();
    expect(h.sockets.length).toBe(1);
  });

  it('4101 (expired while connected) refreshes and retries within the first delay, once; a second 4101 in a row (at the hello) backs off', async () => {
    const fn = vi.fn(async () => `t${fn.mock.calls.length}`);
    const h = setup({ token: fn, reconnect: { jitter: 'none', initialDelayMs: 500 } });
    await flushPromises();
    h.accept();
    h.sock.serverClose(4101, 'expired');
    const { state, retryInMs } = h.client.getSnapshot();
    expect(state).toBe('closed');
    expect(retryInMs).toBeGreaterThanOrEqual(0);
    expect(retryInMs).toBeLessThan(500);
    h.clock.advance(retryInMs!);
    await flushPromises();
    expect(fn).toHaveBeenCalledTimes(2);
    expect((fn.mock.calls[1] as any)[0].reason).toBe('expired');
    h.sock.open();
    h.sock.serverClose(4101, 'expired');
    expect(h.client.getSnapshot().retryInMs).toBe(1000); // attempt 2 of the backoff
  });

  it('4100 with a static token stops until setToken()', () => {
    const h = setup({ token: 'bad' });
    h.sock.open();
    h.sock.serverClose(4100, 'bad token');
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason: 'auth-failed', retryInMs: null });
    expect(isLifelineError(h.errors.at(-1), 'AUTH_FAILED')).toBe(true);
    h.clock.advance(600_000);
    expect(h.sockets.length).toBe(1); // no hammering
    h.client.setToken('good');
    expect(h.sockets.length).toBe(2);
    h.sock.open();
    expect(hello(h).token).toBe('good');
  });

  it('setToken() while connecting starts the attempt again with the new token (a static token)', () => {
    const h = setup({ token: 'bad' });
    h.sock.open();
    expect(hello(h).token).toBe('bad');
    h.client.setToken('good');
    expect(h.sockets.length).toBe(2);
    h.sockets[0]!.serverClose(4100, 'bad token'); // the old attempt's refusal changes nothing
    h.sock.open();
    expect(hello(h).token).toBe('good');
    expect(h.client.getSnapshot()).toMatchObject({ state: 'connecting' });
    expect(h.errors.some((e) => e.code === 'AUTH_FAILED')).toBe(false);
  });

  it('setToken() while the token function is still answering: its late answer is not used', async () => {
    let answer!: (t: string) => void;
    const h = setup({ token: () => new Promise<string>((r) => (answer = r)) });
    h.client.setToken('good');
    answer('stale');
    await flushPromises();
    expect(h.sockets.length).toBe(1);
    h.sock.open();
    expect(hello(h).token).toBe('good');
  });

  it('4100 with a function asks again (reason rejected) with backoff, and stops if the token did not change', async () => {
    const tokens = ['a', 'b', 'b'];
    const fn = vi.fn(async () => tokens.shift()!);
    const h = setup({ token: fn, reconnect: { jitter: 'none', initialDelayMs: 100 } });
    await flushPromises();
    h.sock.open();
    h.sock.serverClose(4100);
    expect(h.client.getSnapshot().retryInMs).toBe(100);
    h.clock.advance(100);
    await flushPromises();
    expect((fn.mock.calls[1] as any)[0].reason).toBe('rejected');
    h.sock.open();
    expect(hello(h).token).toBe('b');
    h.sock.serverClose(4100);
    h.clock.advance(200);
    await flushPromises();
    expect(h.client.getSnapshot()).toMatchObject({ reason: 'auth-failed', retryInMs: null });
    expect(h.sockets.length).toBe(2);
  });

  it('tokens that expire together are retried spread over the first delay, not all at 0 ms (a fleet)', async () => {
    const delays = new Set<number>();
    for (let i = 0; i < 20; i++) {
      let seq = i + 1;
      const h = setup({ token: async () => 't', random: () => ((seq = (seq * 9301 + 49297) % 233280) / 233280), reconnect: { initialDelayMs: 500 } });
      await flushPromises();
      h.accept();
      h.sock.serverClose(4101, 'expired');
      const d = h.client.getSnapshot().retryInMs!;
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(500);
      delays.add(Math.floor(d / 50));
    }
    expect(delays.size).toBeGreaterThanOrEqual(6); // spread over the 500 ms, not one instant
  });

  it('each 4100 refusal of a token from the token function is an error event (TOKEN_ERROR), after the state change', async () => {
    let n = 0;
    const h = setup({ token: async () => `bad${n++}`, reconnect: { jitter: 'none', initialDelayMs: 100 } });
    const seen: string[] = [];
    h.client.on('state', (s) => seen.push(`state ${s.to}`));
    h.client.on('error', (e) => seen.push(`error ${e.code}`));
    await flushPromises();
    for (let i = 0; i < 3; i++) {
      h.sock.open();
      h.sock.serverClose(4100, 'bad token');
      h.clock.advance(h.client.getSnapshot().retryInMs!);
      await flushPromises();
    }
    expect(seen.filter((s) => s.startsWith('error'))).toEqual(['error TOKEN_ERROR', 'error TOKEN_ERROR', 'error TOKEN_ERROR']);
    expect(seen.indexOf('error TOKEN_ERROR')).toBe(seen.indexOf('state closed') + 1);
    expect(h.errors[0].message).toMatch(/token refused \(4100\)/);
  });

  it('a token function that gives undefined again after a 4100 stops the client (AUTH_FAILED), as the same token does', async () => {
    // Typed out (TokenSource is a string), but a JavaScript app's function may say nothing.
    const fn = vi.fn(async () => undefined as unknown as string);
    const h = setup({ token: fn, reconnect: { jitter: 'none', initialDelayMs: 100 } });
    await flushPromises();
    h.sock.open();
    h.sock.serverClose(4100, 'bad token');
    h.clock.advance(100);
    await flushPromises();
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason: 'auth-failed', retryInMs: null });
    expect(isLifelineError(h.errors.at(-1), 'AUTH_FAILED')).toBe(true);
    h.clock.advance(600_000);
    expect(h.sockets.length).toBe(1);
    // setToken() with a function that still gives undefined tries it again (a new source).
    h.client.setToken(async () => undefined as unknown as string);
    await flushPromises();
    expect(h.sockets.length).toBe(2);
  });

  it('a client without a token, refused (4100), tries again on reconnectNow()', async () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 100 } });
    h.sock.open();
    h.sock.serverClose(4100, 'bad token');
    expect(h.client.getSnapshot().reason).toBe('auth-failed');
    h.client.reconnectNow();
    await flushPromises();
    expect(h.sockets.length).toBe(2);
  });

  it('a throwing token function is a TOKEN_ERROR and a backed-off retry', async () => {
    const fn = vi.fn(async () => {
      throw new Error('idp down');
    });
    const h = setup({ token: fn, reconnect: { jitter: 'none', initialDelayMs: 100 } });
    await flushPromises();
    expect(isLifelineError(h.errors[0], 'TOKEN_ERROR')).toBe(true);
    // Said as a token failure: no socket was opened, so not a socket's error or close.
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason: 'token-error', retryInMs: 100 });
    expect(h.states.at(-1)).toMatchObject({ to: 'closed', reason: 'token-error', error: expect.objectContaining({ code: 'TOKEN_ERROR' }) });
    expect(h.sockets.length).toBe(0);
  });

  it('the token never reaches the logger', async () => {
    const lines: string[] = [];
    const log = (m: string, meta?: object) => lines.push(m + JSON.stringify(meta ?? {}));
    const h = setup({ token: 'SECRET-TOKEN', logger: { debug: log, info: log, warn: log, error: log } });
    h.accept();
    h.client.channel('a').subscribe(() => {});
    h.sock.serverClose(4100);
    await h.client.close();
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toContain('SECRET-TOKEN');
  });
});

describe('a token function that never answers', () => {
  it('fails the attempt after handshakeTimeoutMs (TOKEN_ERROR, as when it throws), then asks the function again', async () => {
    let calls = 0;
    const answers: Array<(t: string) => void> = [];
    const fn = vi.fn(
      () =>
        new Promise<string>((r) => {
          calls++;
          answers.push(r);
        }),
    );
    const h = setup({ token: fn, handshakeTimeoutMs: 5000, reconnect: { jitter: 'none', initialDelayMs: 100 } });
    await flushPromises();
    expect(h.client.state).toBe('connecting');
    h.clock.advance(4999);
    expect(h.client.state).toBe('connecting');
    h.clock.advance(1);
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason: 'token-error', retryInMs: 100 });
    expect(isLifelineError(h.errors.at(-1), 'TOKEN_ERROR')).toBe(true);
    // The hung call is not shared with the next attempt: the function is asked again.
    h.clock.advance(100);
    await flushPromises();
    expect(calls).toBe(2);
    // The first call's late answer is not used; the second one's is.
    answers[0]!('stale');
    await flushPromises();
    expect(h.sockets.length).toBe(0);
    answers[1]!('fresh');
    await flushPromises();
    expect(h.sockets.length).toBe(1);
    h.accept();
    expect(hello(h).token).toBe('fresh');
    expect(h.client.state).toBe('open');
    // The welcome ended the attempt's deadline: nothing fires later.
    h.clock.advance(10_000);
    expect(h.client.state).toBe('open');
  });

  it('close() while the token function hangs leaves no timer armed', async () => {
    const h = setup({ token: () => new Promise<string>(() => {}), handshakeTimeoutMs: 5000 });
    await flushPromises();
    await h.client.close();
    expect(h.clock.pending()).toBe(0);
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason: 'close-requested' });
  });
});
