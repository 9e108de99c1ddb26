import { describe, expect, it } from 'vitest';
import { setup } from './support/harness';

/**
 * A client that gave up (README "A client that gave up (terminal, auth-failed,
 * max-attempts) arms no timer at all ... setToken(), reconnectNow() or connect() start it
 * again") stays stopped through the browser's `online` event. It used to take `online` as
 * a cue to reconnect: a static token the server refused (4100) or that expired (4101) was
 * sent again on every network flap, by every client of a fleet at once (the network comes
 * back to a whole office), and a server that refused the version or the origin (4000, 4001)
 * got a handshake per flap, though it answers the same every time. A token function is not
 * affected the same way: it is asked again and the client stops if it gives the refused
 * token (no hello). Found by connectionModel.test.ts.
 */
describe('a client that gave up ignores the online event', () => {
  it.each([
    ['auth-failed', 4100],
    ['auth-failed', 4101],
    ['terminal', 4000],
    ['terminal', 4001],
  ] as const)('%s (%i): no new socket after online', (reason, code) => {
    const h = setup({ token: 'refused-token' });
    h.accept();
    h.sock.serverClose(code, 'no');
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason, retryInMs: null });
    expect(h.clock.pending()).toBe(0);

    h.lifecycle.emit('offline');
    h.lifecycle.emit('online');
    h.clock.advance(60_000);

    expect(h.sockets.length).toBe(1);
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason, retryInMs: null });
    expect(h.clock.pending()).toBe(0);
  });

  it('setToken() still starts it again at once', () => {
    const h = setup({ token: 'refused-token' });
    h.accept();
    h.sock.serverClose(4100, 'bad token');
    h.lifecycle.emit('online');
    h.client.setToken('good-token');
    expect(h.sockets.length).toBe(2);
    h.accept();
    expect(h.sock.frames('hello')[0].token).toBe('good-token');
    expect(h.client.state).toBe('open');
  });
});
