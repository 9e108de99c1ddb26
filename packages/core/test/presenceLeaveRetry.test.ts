// A presence.leave the server could not serve: refused BROKER_UNAVAILABLE with retryAfterMs
// during a broker outage (what packages/server's handlePresenceLeave answers when the store
// did not remove the entry), or made while disconnected. It was never sent again: the
// member stayed listed to others until its entry's TTL ran out (45 s at the defaults), or
// until the dropped connection's grace period ended. Now it is sent again, as a refused
// enter is, and a later enter() cancels it (sent after the enter, it undid it).
import { describe, expect, it } from 'vitest';
import type { LifelineError } from '../src';
import { flushPromises, setup } from './support/harness';

const outage = (ref: number, retryAfterMs: unknown = 1000) => ({
  type: 'error',
  ref,
  channel: 'room',
  code: 'BROKER_UNAVAILABLE',
  message: 'presence not removed: redis down',
  retryAfterMs,
});

async function entered() {
  const h = setup();
  h.accept();
  const ch = h.client.channel('room');
  const chErrors: LifelineError[] = [];
  ch.on('error', (e) => chErrors.push(e));
  const p = ch.presence.enter({ name: 'ada' });
  h.sock.push({ type: 'presence.ok', ref: h.sock.frames('presence.enter')[0].ref, channel: 'room' });
  await p;
  const leaves = () => h.sock.frames('presence.leave');
  const enters = () => h.sock.frames('presence.enter');
  const reconnect = () => {
    h.sock.serverClose(1006);
    h.clock.advance(h.client.getSnapshot().retryInMs!);
    h.accept();
  };
  return { h, ch, chErrors, leaves, enters, reconnect };
}

describe('presence.leave() the server cannot serve', () => {
  it('refused with retryAfterMs: an error event, the leave again after the hint, nothing more once it is taken', async () => {
    const t = await entered();
    await t.ch.presence.leave();
    const first = t.leaves()[0];
    t.h.sock.push(outage(first.ref));
    await flushPromises();
    expect(t.chErrors.map((e) => e.serverCode)).toEqual(['BROKER_UNAVAILABLE']);
    expect(t.h.errors.map((e) => e.serverCode)).toEqual(['BROKER_UNAVAILABLE']);
    t.h.clock.advance(999);
    expect(t.leaves()).toHaveLength(1);
    t.h.clock.advance(1);
    expect(t.leaves()).toHaveLength(2);
    const again = t.leaves()[1];
    expect(again).toMatchObject({ type: 'presence.leave', channel: 'room' });
    expect(again.ref).not.toBe(first.ref);
    // Still down: again after the next hint.
    t.h.sock.push(outage(again.ref, 2000));
    t.h.clock.advance(2000);
    expect(t.leaves()).toHaveLength(3);
    t.h.sock.push({ type: 'presence', channel: 'room', event: 'leave', member: { clientId: t.h.client.clientId } });
    t.h.sock.push({ type: 'presence.ok', ref: t.leaves()[2].ref, channel: 'room' });
    t.h.clock.advance(20_000);
    expect(t.leaves()).toHaveLength(3);
    expect(t.enters()).toHaveLength(1);
    expect(t.h.errors).toHaveLength(2);
  });

  it('a malformed hint waits 1 s, not a loop', async () => {
    const t = await entered();
    await t.ch.presence.leave();
    t.h.sock.push(outage(t.leaves()[0].ref, -1));
    t.h.clock.advance(999);
    expect(t.leaves()).toHaveLength(1);
    t.h.clock.advance(1);
    expect(t.leaves()).toHaveLength(2);
  });

  it('refused without a hint: an error event, not sent again', async () => {
    const t = await entered();
    await t.ch.presence.leave();
    t.h.sock.push({ type: 'error', ref: t.leaves()[0].ref, channel: 'room', code: 'INTERNAL', message: 'x' });
    t.h.clock.advance(20_000);
    expect(t.leaves()).toHaveLength(1);
    t.reconnect();
    expect(t.leaves()).toHaveLength(0);
    expect(t.enters()).toHaveLength(0);
    expect(t.h.errors.map((e) => e.serverCode)).toEqual(['INTERNAL']);
  });

  it('made while disconnected: sent on the next connection (ending the old one\'s grace period), and not undone by a re-entry', async () => {
    const t = await entered();
    t.h.sock.serverClose(1006);
    await t.ch.presence.leave();
    t.h.clock.advance(t.h.client.getSnapshot().retryInMs!);
    t.h.accept();
    expect(t.enters()).toHaveLength(0);
    expect(t.leaves()).toHaveLength(1);
    t.h.sock.push({ type: 'presence.ok', ref: t.leaves()[0].ref, channel: 'room' });
    t.reconnect();
    expect(t.leaves()).toHaveLength(0);
    expect(t.enters()).toHaveLength(0);
  });

  it('a retry waiting when the connection drops: the reconnect sends it once', async () => {
    const t = await entered();
    await t.ch.presence.leave();
    t.h.sock.push(outage(t.leaves()[0].ref, 5000));
    t.reconnect();
    expect(t.leaves()).toHaveLength(1);
    expect(t.enters()).toHaveLength(0);
    t.h.clock.advance(10_000);
    expect(t.leaves()).toHaveLength(1);
  });

  it('sent, then the connection dropped before its answer: sent again on the next one', async () => {
    const t = await entered();
    await t.ch.presence.leave();
    t.reconnect();
    expect(t.leaves()).toHaveLength(1);
    expect(t.enters()).toHaveLength(0);
  });

  it('enter() while a refused leave waits for its retry: the leave is not sent after it', async () => {
    const t = await entered();
    await t.ch.presence.leave();
    t.h.sock.push(outage(t.leaves()[0].ref));
    const back = t.ch.presence.enter({ name: 'ada' });
    expect(t.enters()).toHaveLength(2);
    t.h.clock.advance(5000);
    expect(t.leaves()).toHaveLength(1);
    t.h.sock.push({ type: 'presence.ok', ref: t.enters()[1].ref, channel: 'room' });
    await back;
    t.reconnect();
    expect(t.enters().map((f) => f.info)).toEqual([{ name: 'ada' }]);
    expect(t.leaves()).toHaveLength(0);
  });

  it('leave() then enter() while disconnected: the next connection enters, and sends no leave', async () => {
    const t = await entered();
    t.h.sock.serverClose(1006);
    await t.ch.presence.leave();
    void t.ch.presence.enter({ name: 'bob' });
    t.h.clock.advance(t.h.client.getSnapshot().retryInMs!);
    t.h.accept();
    expect(t.leaves()).toHaveLength(0);
    expect(t.enters().map((f) => f.info)).toEqual([{ name: 'bob' }]);
  });

  it('a retry waiting at close(): no timer is left behind', async () => {
    const t = await entered();
    await t.ch.presence.leave();
    t.h.sock.push(outage(t.leaves()[0].ref, 5000));
    const closing = t.h.client.close();
    t.h.sock.serverClose(1000);
    await closing;
    expect(t.h.clock.pending()).toBe(0);
  });
});
