// close() called from each kind of user callback the client runs synchronously: the
// shutdown must be complete whatever the code after the callback does (no timer, no
// socket, no lifecycle listener, nothing sent after the close, the state says
// close-requested), and a later connect() must work.
import { describe, expect, it } from 'vitest';
import type { StateChange } from '../src';
import { flushPromises, setup } from './support/harness';

type H = ReturnType<typeof setup>;

/** Everything close() promises, once its promise resolved. */
async function expectClosed(h: H, closing: Promise<void> | undefined) {
  expect(closing).toBeDefined();
  for (const s of h.sockets) s.serverClose(1000); // the close handshake completes
  await closing;
  await flushPromises();
  expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason: 'close-requested', retryInMs: null });
  expect(h.clock.pending()).toBe(0);
  expect(h.live()).toBe(0);
  expect(h.lifecycle.listeners()).toBe(0);
  h.clock.advance(120_000);
  await flushPromises();
  expect(h.client.state).toBe('closed');
}

/** After close(): connect() again works and re-subscribes `room`, once. */
function expectReconnects(h: H) {
  h.client.connect();
  h.accept();
  expect(h.client.state).toBe('open');
  expect(h.sock.frames('sub').map((f) => f.channel)).toEqual(['room']);
}

describe('close() from a callback', () => {
  it('an `open` listener: nothing but hello goes out on that socket, and the client closes', async () => {
    const h = setup();
    const ch = h.client.channel('room');
    ch.subscribe(() => {});
    const entered = ch.presence.enter();
    let closing: Promise<void> | undefined;
    h.client.on('state', (s: StateChange) => {
      if (s.to === 'open' && !closing) closing = h.client.close();
    });
    const s = h.accept();
    expect(s.frames().map((f) => f.type)).toEqual(['hello']);
    await expectClosed(h, closing);
    await expect(entered).rejects.toMatchObject({ code: 'CLIENT_CLOSED' });
    expectReconnects(h);
  });

  it('an `open` listener with outbox.onClose flush: the queued publish is sent, acked, then the client closes', async () => {
    const h = setup({ outbox: { onClose: 'flush' } });
    const p = h.client.publish('room', 1);
    let closing: Promise<void> | undefined;
    h.client.on('state', (s: StateChange) => {
      if (s.to === 'open' && !closing) closing = h.client.close();
    });
    const s = h.accept();
    const pubs = s.frames('pub');
    expect(pubs).toHaveLength(1);
    s.push({ type: 'ack', ref: pubs[0].ref, channel: 'room', id: pubs[0].id, offset: 1, epoch: 'e1' });
    await expect(p).resolves.toMatchObject({ offset: 1 });
    await flushPromises();
    await expectClosed(h, closing);
  });

  it('a message handler: the message counts as handled, nothing later is delivered', async () => {
    const h = setup();
    h.accept();
    const ch = h.client.channel('room');
    const got: number[] = [];
    let closing: Promise<void> | undefined;
    ch.subscribe((m) => {
      got.push(m.offset);
      closing ??= h.client.close();
    });
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    h.msg('room', 1);
    expect(ch.position).toEqual({ offset: 1, epoch: 'e1' });
    await expectClosed(h, closing);
    expect(got).toEqual([1]);
    expectReconnects(h);
    expect(h.sock.frames('sub')[0].since).toEqual({ offset: 1, epoch: 'e1' });
  });

  it('a channel snapshot listener told that the socket dropped: no retry after it', async () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 100 } });
    h.accept();
    const ch = h.client.channel('room');
    ch.subscribe(() => {});
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    let closing: Promise<void> | undefined;
    ch.subscribeSnapshot(() => {
      if (ch.getSnapshot().state === 'subscribing') closing ??= h.client.close();
    });
    h.sock.serverClose(1006);
    await expectClosed(h, closing);
    expect(h.sockets).toHaveLength(1);
  });

  it('an `outbox` listener told of an expired publish (TTL timer): the rest fails with CLIENT_CLOSED, no TTL timer left', async () => {
    const h = setup({ autoConnect: false });
    const expired = h.client.publish('room', 1, { ttlMs: 100 });
    const later = h.client.publish('room', 2, { ttlMs: 1_000 });
    let closing: Promise<void> | undefined;
    h.client.on('outbox', () => (closing ??= h.client.close()));
    h.clock.advance(100);
    await expect(expired).rejects.toMatchObject({ code: 'OUTBOX_EXPIRED' });
    await expect(later).rejects.toMatchObject({ code: 'CLIENT_CLOSED' });
    await closing;
    expect(h.clock.pending()).toBe(0);
  });

  it('a `closed` listener of a pagehide: the client stays closed, and a pageshow does not reconnect it', async () => {
    const h = setup();
    h.accept();
    let closing: Promise<void> | undefined;
    h.client.on('state', (s: StateChange) => {
      if (s.reason === 'pagehide') closing ??= h.client.close();
    });
    h.lifecycle.emit('pagehide');
    await expectClosed(h, closing);
    h.lifecycle.emit('pageshow');
    expect(h.sockets).toHaveLength(1);
  });

  it('a `closing` listener calling connect() or reconnectNow(): ignored, the close completes', async () => {
    const h = setup();
    h.accept();
    h.client.on('state', (s: StateChange) => {
      if (s.to === 'closing') {
        h.client.connect();
        h.client.reconnectNow();
        h.client.setToken('t2');
      }
    });
    const closing = h.client.close();
    await expectClosed(h, closing);
    expect(h.sockets).toHaveLength(1);
  });
});
