import { describe, expect, it } from 'vitest';
import { isLifelineError } from '../src';
import { flushPromises, setup } from './support/harness';
import { welcomeFrame } from './support/fakeSocket';

describe('a client that gave up', () => {
  it.each([
    ['max-attempts', (h: ReturnType<typeof setup>) => h.sock.serverClose(1006)],
    ['terminal', (h: ReturnType<typeof setup>) => h.sock.serverClose(4000, 'version')],
    ['auth-failed', (h: ReturnType<typeof setup>) => h.sock.serverClose(4100, 'bad token')],
  ])('(%s) arms no timer, so a Node process can exit; setToken() starts the checks again', (reason, giveUp) => {
    const h = setup({ token: 't', reconnect: { maxAttempts: 0 } });
    h.sock.open();
    giveUp(h);
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason, retryInMs: null });
    expect(h.clock.pending()).toBe(0);
    h.client.setToken('t2');
    expect(h.client.state).toBe('connecting');
    // The handshake deadline and the shared periodic check.
    expect(h.clock.pending()).toBe(2);
  });

  it('a check missed while stopped is not taken for a clock jump after resuming', () => {
    const h = setup({ token: 't', reconnect: { maxAttempts: 0 } });
    h.accept();
    h.sock.serverClose(4100, 'bad token');
    h.clock.advance(3_600_000);
    h.client.setToken('t2');
    h.accept();
    const before = h.sock.sent.length;
    h.clock.advance(1000);
    // A jump would send a probe ping at once.
    expect(h.sock.sent.slice(before).filter((f) => JSON.parse(f).type === 'ping')).toEqual([]);
  });
});

describe('close() on a client that is already closed', () => {
  it.each([
    ['gave up (max-attempts)', { maxAttempts: 0 }],
    ['waiting to retry', {}],
  ])('%s: one closed → closed change that says close-requested, no `closing` with nothing to close', async (_, reconnect) => {
    const h = setup({ reconnect });
    h.sock.open();
    h.sock.serverClose(1006);
    expect(h.client.state).toBe('closed');
    const seen: string[] = [];
    h.client.on('state', (s) => seen.push(`${s.from}>${s.to}:${s.reason}:${s.retryInMs}`));
    await h.client.close();
    expect(seen).toEqual(['closed>closed:close-requested:null']);
    expect(h.clock.pending()).toBe(0); // the retry, if one was scheduled, is cancelled
  });

  it('never connected: close() says close-requested, without `closing`', async () => {
    const h = setup({ autoConnect: false });
    const seen: string[] = [];
    h.client.on('state', (s) => seen.push(`${s.from}>${s.to}:${s.reason}`));
    await h.client.close();
    expect(seen).toEqual(['closed>closed:close-requested']);
  });
});

describe('close() called again from a state listener', () => {
  it('on closing: the same shutdown, once, no recursion', async () => {
    const h = setup();
    h.accept();
    const seen: string[] = [];
    let again: Promise<void> | null = null;
    h.client.on('state', (s) => {
      seen.push(s.to);
      if (s.to === 'closing') again = h.client.close();
    });
    const first = h.client.close();
    expect(again).toBe(first);
    h.sock.serverClose(1000);
    await first;
    expect(seen).toEqual(['closing', 'closed']);
    // A later close() is a new one (the first has ended).
    await h.client.close();
  });
});

describe('close() from a state listener as the client starts connecting', () => {
  // The attempt went on after the listener returned: its handshake deadline fired 10 s
  // later as a TOKEN_ERROR ("token function timed out", with a static token) and the
  // closed client reconnected, for ever.
  it.each([
    ['a static token', { token: 't' }],
    ['a token function', { token: async () => 't' }],
  ])('with %s: no socket, no timer, no error; the client stays closed', async (_name, options) => {
    const h = setup({ ...options, autoConnect: false });
    let closing: Promise<void> | null = null;
    h.client.on('state', (s) => {
      if (s.to === 'connecting' && !closing) closing = h.client.close();
    });
    h.client.connect();
    await closing;
    await flushPromises();
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason: 'close-requested', retryInMs: null });
    expect(h.sockets).toHaveLength(0);
    expect(h.clock.pending()).toBe(0);
    h.clock.advance(120_000);
    await flushPromises();
    expect(h.sockets).toHaveLength(0);
    expect(h.client.state).toBe('closed');
    expect(h.errors).toEqual([]);
  });

  it('setToken() from the listener: one attempt, with the new token, one socket, one handshake deadline', async () => {
    const h = setup({ token: 't1', autoConnect: false });
    let swapped = false;
    h.client.on('state', (s) => {
      if (s.to !== 'connecting' || swapped) return;
      swapped = true;
      h.client.setToken('t2');
    });
    h.client.connect();
    await flushPromises();
    expect(h.sockets).toHaveLength(1);
    h.sock.open();
    expect(h.sock.frames('hello').map((f) => f.token)).toEqual(['t2']);
    // The handshake deadline and the shared periodic check, nothing of the abandoned attempt.
    expect(h.clock.pending()).toBe(2);
    h.sock.push(welcomeFrame());
    expect(h.client.state).toBe('open');
    expect(h.errors).toEqual([]);
  });
});

describe('a WebSocket constructor that throws', () => {
  it('stops the client (terminal) with the reason as BAD_ARGUMENT (the app\'s url, not a server refusal), instead of retrying the same throw for ever', () => {
    class Throws {
      constructor(url: string) {
        throw new SyntaxError(`Invalid URL: ${url}`);
      }
    }
    const h = setup({ url: 'not a url', WebSocket: Throws as any, autoConnect: false });
    h.client.connect();
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason: 'terminal', retryInMs: null });
    const e = h.errors.at(-1);
    expect(e.code).toBe('BAD_ARGUMENT');
    expect(e.message).toContain('Invalid URL: not a url');
    expect(e.cause).toBeInstanceOf(SyntaxError);
    expect(h.clock.pending()).toBe(0);
  });
});
