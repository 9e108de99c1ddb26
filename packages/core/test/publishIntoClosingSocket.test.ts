// A publish whose turn comes while the welcomed socket is CLOSING (after a socket error, or
// the server's close frame read and the close event not yet) is written nowhere: it stays
// never sent, so its ttlMs and drop-oldest still apply. It was marked sent (no TTL, never
// evicted) and waited for the next connection.
import { describe, expect, it } from 'vitest';
import { flushPromises, settle, setup } from './support/harness';

describe('a publish into a CLOSING socket', () => {
  it('a paced publish whose turn comes between the socket error and its close event keeps its ttlMs', async () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 60_000 } });
    h.accept({ limits: { maxFrameBytes: 65_536, maxChannels: 100, publishPerSec: 1, publishBurst: 1 } });
    const a = settle(h.client.publish('room', 'a'));
    const b = settle(h.client.publish('room', 'b', { ttlMs: 1500 })); // waits for the next token (1 s)
    expect(h.sock.frames('pub').map((f) => f.data)).toEqual(['a']);
    h.sock.error(); // the socket fails: Connection._onError closes it (CLOSING), the close event follows
    h.clock.advance(1000); // the pacing timer fires in between: `b` goes into the closing socket
    expect(h.sock.frames('pub').map((f) => f.data)).toEqual(['a']); // it never left the client
    h.sock.serverClose(1006);
    h.clock.advance(1000); // 2 s after the publish, the next attempt a minute away
    await flushPromises();
    expect(a.done).toBe(false); // sent: kept and re-sent, right
    expect(b.error?.code).toBe('OUTBOX_EXPIRED'); // never sent: README says it expires at its ttlMs
  });


  it('is not sent, so it still expires at its ttlMs while the client is reconnecting', async () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 60_000 } });
    h.accept();
    h.sock.readyState = 2; // CLOSING: the server's close frame was read, the close event comes after TCP closes
    const p = settle(h.client.publish('room', 'x', { ttlMs: 100 }));
    expect(h.sock.frames('pub')).toEqual([]); // nothing left the client
    h.sock.serverClose(1012); // the close event, a moment later; the next attempt is a minute away
    h.clock.advance(200);
    await flushPromises();
    // README: queued publishes older than their ttlMs are rejected with OUTBOX_EXPIRED at
    // that moment, whatever the connection does; only a publish that was ever sent is kept.
    expect(p.error?.code).toBe('OUTBOX_EXPIRED');
  });

  it('is not sent, so drop-oldest may still evict it', async () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 60_000 }, outbox: { maxMessages: 1, overflow: 'drop-oldest' } });
    h.accept();
    h.sock.readyState = 2;
    const a = settle(h.client.publish('room', 'a'));
    expect(h.sock.frames('pub')).toEqual([]);
    h.sock.serverClose(1012);
    const b = settle(h.client.publish('room', 'b'));
    await flushPromises();
    // README: drop-oldest evicts the oldest never-sent one; `a` never left the client.
    expect(a.error?.code).toBe('OUTBOX_DROPPED');
    expect(b.done).toBe(false);
  });
});
