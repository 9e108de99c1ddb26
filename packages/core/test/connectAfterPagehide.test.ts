import { describe, expect, it } from 'vitest';
import { setup } from './support/harness';

/**
 * After `pagehide` the client stays closed until `pageshow`; an application (or a host
 * driving its own lifecycle source) may still start it itself with connect(),
 * reconnectNow() or setToken(). That connection used to run under the `pagehide` flag:
 * whatever closed it (a network drop, a server restart, a 4100 refusal) was taken for the
 * page going away, `closed` with reason `pagehide` and no retry, for good, and the close
 * code was never acted on (a refused static token was sent again at the next pageshow).
 * Found by connectionModel.test.ts.
 */
describe('a connection made after pagehide is handled like any other', () => {
  it.each([
    ['reconnectNow()', (h: ReturnType<typeof setup>) => h.client.reconnectNow()],
    ['setToken()', (h: ReturnType<typeof setup>) => h.client.setToken('t2')],
  ] as const)('started with %s, a dropped connection is retried', (_, start) => {
    const h = setup({ token: 't1', reconnect: { jitter: 'none', initialDelayMs: 100 } });
    h.accept();
    h.lifecycle.emit('pagehide');
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason: 'pagehide', retryInMs: null });

    start(h);
    h.accept();
    expect(h.client.state).toBe('open');
    h.sock.serverClose(1006, '');

    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason: 'socket-closed', retryInMs: 100 });
    h.clock.advance(100);
    expect(h.sockets.length).toBe(3);
  });

  it('a 4100 refusal of that connection stops the client (auth-failed) instead of being taken for pagehide', () => {
    const h = setup({ token: 't1' });
    h.accept();
    h.lifecycle.emit('pagehide');
    h.client.reconnectNow();
    h.accept();
    h.sock.serverClose(4100, 'bad token');
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason: 'auth-failed', retryInMs: null });
    expect(h.errors.map((e) => e.code)).toContain('AUTH_FAILED');
  });
});
