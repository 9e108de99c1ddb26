// close() with onClose 'flush' on an open connection: setToken() there is sent in band, but
// never renews the connection (setToken(undefined), or a token refused in band): a renewal
// killed the socket, and with close() running that ended the flush, every publish still
// waiting failing CLIENT_CLOSED at once. Signing out as `client.close();
// client.setToken(undefined)`, or setting the next user's token, both cut it (found by a
// review of the change that made setToken() work during the flush).
import { describe, expect, it } from 'vitest';
import { ack, flushPromises, settle, setup } from './support/harness';

const paced = { maxFrameBytes: 65_536, maxChannels: 100, publishPerSec: 1, publishBurst: 1 };

function flushing() {
  const h = setup({ token: 'old', outbox: { onClose: 'flush', closeTimeoutMs: 20_000 } });
  const s = h.accept({ tokenExpiresInMs: 600_000, limits: paced });
  const ps = [1, 2, 3].map((n) => settle(h.client.publish('room', n)));
  const closed = settle(h.client.close({ code: 4000, reason: 'bye' }));
  const acked = new Set<number>();
  const serve = () => {
    for (const f of s.frames('pub')) if (!acked.has(f.ref)) acked.add(f.ref), ack(h, f, f.data);
  };
  return { h, s, ps, closed, serve };
}

describe('setToken() while close() flushes', () => {
  it('setToken(undefined) (signing out) does not cut the flush', async () => {
    const { h, s, ps, serve } = flushing();
    serve(); // the first one is acked
    h.client.setToken(undefined);
    await flushPromises();
    for (let i = 0; i < 3; i++) {
      h.clock.advance(1000);
      serve();
    }
    await flushPromises();
    expect(s.terminated).toBe(false); // was: killed 4202 'reconnect-now' (no close frame, not the app's 4000)
    expect(ps.map((p) => p.error?.code)).toEqual([undefined, undefined, undefined]); // was: [undefined, CLIENT_CLOSED, CLIENT_CLOSED]
  });

  it("the next user's token, refused in band, does not cut the flush", async () => {
    const { h, s, ps, serve } = flushing();
    serve();
    h.client.setToken('next-user');
    await flushPromises();
    const auth = s.frames('auth')[0];
    if (auth) s.push({ type: 'error', ref: auth.ref, code: 'FORBIDDEN', message: 'another subject' });
    for (let i = 0; i < 3; i++) {
      h.clock.advance(1000);
      serve();
    }
    await flushPromises();
    expect(s.terminated).toBe(false);
    expect(ps.map((p) => p.error?.code)).toEqual([undefined, undefined, undefined]);
  });
});
