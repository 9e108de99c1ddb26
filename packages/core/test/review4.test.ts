// Interactions found by the fourth review of core: server answers carrying a ref this
// client never used, and snapshot listeners that re-subscribe while being notified.
import { describe, expect, it } from 'vitest';
import { isLifelineError } from '../src';
import { flushPromises, setup } from './support/harness';

describe('answers for a ref this client never used', () => {
  // Refs count from 1; 0 is how a channel and presence mark "nothing pending", so a
  // frame with ref 0 (a stray answer, a server echoing a default) matched that marker.
  it('an error frame with ref 0 about a subscribed channel is reported; the channel stays subscribed', () => {
    const h = setup();
    const s = h.accept();
    const ch = h.client.channel('room');
    const chErrors: unknown[] = [];
    ch.on('error', (e) => chErrors.push(e));
    ch.subscribe(() => {});
    h.answerSubs({ room: { offset: 3, epoch: 'e1' } });
    s.push({ type: 'error', code: 'BAD_FIELD', message: 'stray', ref: 0, channel: 'room' });
    expect(ch.getSnapshot()).toMatchObject({ state: 'subscribed', error: null });
    expect(chErrors.length).toBe(1);
    expect(isLifelineError(h.errors.at(-1), 'SERVER_ERROR')).toBe(true);
    const received: number[] = [];
    ch.subscribe((m) => void received.push(m.offset));
    h.msg('room', 4);
    expect(received).toEqual([4]);
  });

  it('an error frame with an unknown non-zero ref changes nothing but is reported', () => {
    const h = setup();
    const s = h.accept();
    const ch = h.client.channel('room');
    ch.subscribe(() => {});
    h.answerSubs({ room: { offset: 3, epoch: 'e1' } });
    s.push({ type: 'error', code: 'FORBIDDEN', message: 'stray', ref: 999, channel: 'room' });
    s.push({ type: 'error', code: 'FORBIDDEN', message: 'stray', ref: 998 });
    expect(ch.getSnapshot().state).toBe('subscribed');
    expect(h.errors.map((e) => e.serverCode)).toEqual(['FORBIDDEN', 'FORBIDDEN']);
  });

  it('a subscribed frame with ref 0 while no subscribe is pending moves nothing and raises no gap', () => {
    const h = setup();
    const s = h.accept();
    const ch = h.client.channel('room');
    const gaps: unknown[] = [];
    ch.on('gap', (g) => gaps.push(g));
    ch.subscribe(() => {});
    h.answerSubs({ room: { offset: 3, epoch: 'e1' } });
    s.push({ type: 'subscribed', ref: 0, channel: 'room', offset: 90, epoch: 'e9', recovered: false, reason: 'epoch-changed' });
    expect(gaps).toEqual([]);
    expect(ch.position).toEqual({ offset: 3, epoch: 'e1' });
  });

  it('presence answers with ref 0 do not settle an enter that was not sent yet', async () => {
    const h = setup();
    h.sock.open(); // no welcome yet: the enter waits
    const ch = h.client.channel('room');
    let settled = '';
    ch.presence.enter().then(
      () => (settled = 'resolved'),
      () => (settled = 'rejected'),
    );
    h.sock.push({ type: 'presence.ok', ref: 0, channel: 'room' });
    h.sock.push({ type: 'error', code: 'FORBIDDEN', message: 'stray', ref: 0, channel: 'room' });
    await flushPromises();
    expect(settled).toBe('');
    h.sock.push({ type: 'welcome', v: 1, session: 's', heartbeatMs: 15_000 });
    const enter = h.sock.frames('presence.enter')[0];
    h.sock.push({ type: 'presence.ok', ref: enter.ref, channel: 'room' });
    await flushPromises();
    expect(settled).toBe('resolved');
  });
});

describe('snapshot listeners', () => {
  it('a channel snapshot listener that re-subscribes itself when told is told once per change (no endless loop)', () => {
    const h = setup();
    h.accept();
    const ch = h.client.channel('room');
    let calls = 0;
    const l = () => {
      calls++;
      if (calls > 10) throw new Error('notified again and again');
      off();
      off = ch.subscribeSnapshot(l);
    };
    let off = ch.subscribeSnapshot(l);
    ch.subscribe(() => {});
    expect(calls).toBe(1);
  });

  it('a listener added during a notification is told from the next change on (channel and client alike)', () => {
    const h = setup({ autoConnect: false });
    const ch = h.client.channel('room');
    const order: string[] = [];
    ch.subscribeSnapshot(() => {
      order.push('ch-first');
      ch.subscribeSnapshot(() => order.push('ch-late'));
    });
    h.client.subscribe(() => {
      order.push('client-first');
      h.client.subscribe(() => order.push('client-late'));
    });
    ch.subscribe(() => {}); // idle → subscribing
    h.client.connect(); // closed → connecting
    expect(order).toEqual(['ch-first', 'client-first']);
  });

  it('getSnapshot() keeps its identity while nothing changed, for the client and a channel', () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 1000 } });
    const ch = h.client.channel('room');
    ch.subscribe(() => {});
    const s = h.accept();
    h.answerSubs({ room: { offset: 3, epoch: 'e1' } });
    const c1 = h.client.getSnapshot();
    const k1 = ch.getSnapshot();
    // Traffic that changes nothing observable: pings, duplicates, a stray error, ticks.
    s.push({ type: 'ping', t: 1 });
    h.msg('room', 3);
    s.push({ type: 'error', code: 'X', message: 'stray', ref: 999 });
    h.clock.advance(5000);
    s.push({ type: 'pong', t: h.clock.now() });
    expect(h.client.getSnapshot()).toBe(c1);
    expect(ch.getSnapshot()).toBe(k1);
    s.serverClose(1006);
    const c2 = h.client.getSnapshot();
    expect(c2).not.toBe(c1);
    h.clock.advance(500); // the retry is still pending: same snapshot
    expect(h.client.getSnapshot()).toBe(c2);
  });
});
