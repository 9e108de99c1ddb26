// Edges around the welcome and close(): a publisher made by an `open` listener, a welcome
// that arrives after close(), a socket lost while close() flushes.
import { describe, expect, it } from 'vitest';
import { isLifelineError } from '../src';
import { flushPromises, settle, setup } from './support/harness';

describe('publish from an open listener', () => {
  it('goes out after the re-subscribes and within the new connection publishBurst', async () => {
    const h = setup({ autoConnect: false });
    h.client.channel('room').subscribe(() => {});
    let first = true;
    h.client.on('state', (s) => {
      if (s.to !== 'open' || !first) return;
      first = false;
      for (let i = 0; i < 3; i++) void h.client.publish('room', i).catch(() => {});
    });
    h.client.connect();
    const s = h.accept({ limits: { maxFrameBytes: 65_536, maxChannels: 100, publishPerSec: 1, publishBurst: 2 } });
    const types = s.sent.map((t) => JSON.parse(t).type);
    expect(types.slice(0, 2)).toEqual(['hello', 'sub']); // the subscribe first
    expect(s.frames('pub')).toHaveLength(2); // the burst, not 3
    h.clock.advance(1000);
    expect(s.frames('pub')).toHaveLength(3);
    await flushPromises();
  });
});

describe('close() and the socket', () => {
  it('a welcome after close() (called while connecting) is ignored, and close() still ends within 1 s', async () => {
    const h = setup();
    const s = h.sock;
    s.open();
    const closed = settle(h.client.close());
    await flushPromises();
    expect(h.client.state).toBe('closing');
    s.push({ type: 'welcome', v: 1, session: 's_1', heartbeatMs: 15_000, serverTime: 0 });
    expect(h.client.state).toBe('closing'); // not back to open
    expect(h.states.some((c) => c.from === 'closing' && c.to === 'open')).toBe(false);
    h.clock.advance(1000); // the peer never answers the close handshake
    await flushPromises();
    expect(s.terminated).toBe(true);
    expect(closed.done).toBe(true);
    expect(h.client.state).toBe('closed');
  });

  it('with onClose flush, losing the socket during the flush ends the wait at once', async () => {
    const h = setup({ outbox: { onClose: 'flush', closeTimeoutMs: 60_000 } });
    const s = h.accept();
    const p = settle(h.client.publish('c', 1));
    const closed = settle(h.client.close());
    await flushPromises();
    expect(h.client.state).toBe('open'); // waiting for the ack
    s.serverClose(1006);
    await flushPromises();
    expect(closed.done).toBe(true); // not after 60 s
    expect(isLifelineError(p.error, 'CLIENT_CLOSED')).toBe(true);
    expect(h.clock.pending()).toBe(0);
  });
});
