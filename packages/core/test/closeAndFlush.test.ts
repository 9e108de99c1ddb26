import { describe, expect, it } from 'vitest';
import { isLifelineError } from '../src';
import { ack, flushPromises, settle, setup } from './support/harness';

describe('close({ code, reason })', () => {
  it('closes with 1000 and "client closed" by default', async () => {
    const h = setup();
    const s = h.accept();
    const closed = settle(h.client.close());
    expect(s.closedWith).toEqual({ code: 1000, reason: 'client closed' });
    s.serverClose(1000);
    await flushPromises();
    expect(closed.done).toBe(true);
  });

  it('sends the given code and reason (1001 for a draining process)', async () => {
    const h = setup();
    const s = h.accept();
    const closed = settle(h.client.close({ code: 1001, reason: 'drain' }));
    expect(s.closedWith).toEqual({ code: 1001, reason: 'drain' });
    s.serverClose(1001, 'drain');
    await flushPromises();
    expect(closed.done).toBe(true);
    expect(h.client.state).toBe('closed');
    expect(h.clock.pending()).toBe(0);
  });

  it('a socket that refuses the code (a browser and 1001) is closed plainly instead', async () => {
    const h = setup();
    const s = h.accept();
    const plain: unknown[] = [];
    const close = s.close.bind(s);
    s.close = (code?: number, reason?: string) => {
      if (code !== undefined) throw new Error('InvalidAccessError');
      plain.push(code);
      close();
    };
    const closed = settle(h.client.close({ code: 1001 }));
    expect(plain).toEqual([undefined]);
    s.serverClose(1005);
    await flushPromises();
    expect(closed.done).toBe(true);
  });

  it('rejects a code the protocol cannot carry with BAD_ARGUMENT and keeps running', async () => {
    const h = setup();
    const s = h.accept();
    const bad = settle(h.client.close({ code: 1006 }));
    await flushPromises();
    expect(isLifelineError(bad.error, 'BAD_ARGUMENT')).toBe(true);
    expect(bad.error.message).toContain('1006');
    expect(h.client.state).toBe('open');
    expect(s.closedWith).toBeNull();
  });

  it('a second call during the close returns the same promise', async () => {
    const h = setup();
    const s = h.accept();
    const a = h.client.close({ code: 1001 });
    const b = h.client.close({ code: 4000 });
    expect(b).toBe(a);
    expect(s.closedWith).toEqual({ code: 1001, reason: 'client closed' });
    s.serverClose(1001);
    await a;
  });
});

describe('whenFlushed()', () => {
  it('resolves at once when nothing is queued or in flight', async () => {
    const h = setup();
    h.accept();
    const w = settle(h.client.whenFlushed());
    await flushPromises();
    expect(w.done).toBe(true);
  });

  it('waits for queued and in-flight publishes to be acked', async () => {
    const h = setup({ autoConnect: false });
    const a = settle(h.client.publish('c', 1));
    const w = settle(h.client.whenFlushed());
    h.client.connect();
    const s = h.accept();
    await flushPromises();
    expect(s.frames('pub')).toHaveLength(1);
    const b = settle(h.client.publish('c', 2)); // made after the call: waited for too
    ack(h, s.frames('pub')[0], 1);
    await flushPromises();
    expect(a.done).toBe(true);
    expect(w.done).toBe(false);
    ack(h, s.frames('pub')[1], 2);
    await flushPromises();
    expect(b.value).toMatchObject({ offset: 2 });
    expect(w.done).toBe(true);
    expect(h.client.stats().outboxDepth).toBe(0);
  });

  it('also resolves when the outbox empties by failure (expired TTL), never rejects', async () => {
    const h = setup({ autoConnect: false, outbox: { ttlMs: 5000 } });
    const a = settle(h.client.publish('c', 1));
    const w = settle(h.client.whenFlushed());
    h.client.connect(); // the socket never opens: the publish stays queued
    h.clock.advance(6000);
    await flushPromises();
    expect(isLifelineError(a.error, 'OUTBOX_EXPIRED')).toBe(true);
    expect(w.done).toBe(true);
    expect(w.error).toBeUndefined();
  });

  it('resolves when close() fails what was left', async () => {
    const h = setup();
    h.accept();
    const a = settle(h.client.publish('c', 1));
    const w = settle(h.client.whenFlushed());
    await flushPromises();
    expect(w.done).toBe(false);
    const closed = h.client.close();
    h.sock.serverClose(1000);
    await closed;
    await flushPromises();
    expect(isLifelineError(a.error, 'CLIENT_CLOSED')).toBe(true);
    expect(w.done).toBe(true);
  });
});
