// close() with onClose 'flush' waits on an open connection (state 'open'); a setToken()
// then was ignored (it returned before its in-band branch while close() ran), so an app
// renewing a static token had the server close the connection 4101 at the old token's
// expiry, and the publishes still being flushed failed CLIENT_CLOSED long before
// closeTimeoutMs. README: "While open ... it is sent at once (auth)".
import { describe, expect, it } from 'vitest';
import { ack, flushPromises, settle, setup } from './support/harness';

describe('setToken() while close() flushes', () => {
  it('is sent in band on the open connection, so the flush is not cut by the old token expiring', async () => {
    const h = setup({ token: 'old', outbox: { onClose: 'flush', closeTimeoutMs: 20_000 } });
    const s = h.accept({
      tokenExpiresInMs: 5_000,
      limits: { maxFrameBytes: 65_536, maxChannels: 100, publishPerSec: 1, publishBurst: 1 },
    });
    const ps = [1, 2, 3, 4, 5].map((n) => settle(h.client.publish('room', n)));
    const closed = settle(h.client.close());
    expect(h.client.state).toBe('open'); // flushing on the open connection
    // The server acks each publish as it comes (paced at 1/s).
    const acked = new Set<number>();
    const serve = () => {
      for (const f of s.frames('pub')) if (!acked.has(f.ref)) acked.add(f.ref), ack(h, f, f.data);
    };
    serve();
    h.clock.advance(1000);
    serve();
    // The app renews its (static) token before it expires, as the README says to.
    h.client.setToken('new');
    await flushPromises();
    expect(s.frames('auth')).toMatchObject([{ type: 'auth', token: 'new' }]);
    const auth = s.frames('auth')[0];
    s.push({ type: 'authed', ref: auth.ref, tokenExpiresInMs: 600_000 });
    for (let i = 0; i < 5; i++) {
      h.clock.advance(1000);
      serve();
    }
    await flushPromises();
    expect(ps.map((p) => p.error?.code)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    for (let i = 0; i < 4; i++) await flushPromises();
    s.serverClose(1000);
    for (let i = 0; i < 4; i++) await flushPromises();
    expect(closed.done).toBe(true);
  });
});
