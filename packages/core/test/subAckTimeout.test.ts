// A server that never answers a `sub` (or an `unsub`, or a `presence.enter`) while it keeps
// the socket alive with pings: the channel stayed 'subscribing' for good, ignoring its
// messages ('unsubscribing', the server still sending them), and the enter's promise never
// settled. outbox.ackTimeoutMs covers them as it covers a
// publish: the connection counts as broken, and the reconnect asks again.
import { describe, expect, it } from 'vitest';
import { flushPromises, settle, setup } from './support/harness';

/** The server pings every second for `ms`: the socket is never silent. */
const pingFor = (h: ReturnType<typeof setup>, ms: number) => {
  for (let i = 0; i < ms / 1000; i++) {
    h.clock.advance(1000);
    if (h.client.state === 'open') h.sock.push({ type: 'ping' });
  }
};

const opts = { outbox: { ackTimeoutMs: 10_000 }, reconnect: { jitter: 'none' as const, initialDelayMs: 500 } };

describe('outbox.ackTimeoutMs for sub, unsub and presence.enter', () => {
  it('tears down a live connection whose server never answers a sub; the reconnect subscribes again and messages flow', () => {
    const h = setup(opts);
    const s1 = h.accept({ heartbeatMs: 1000 });
    const ch = h.client.channel('room');
    const got: unknown[] = [];
    ch.subscribe((m) => void got.push(m.data));
    expect(s1.frames('sub')).toHaveLength(1);
    pingFor(h, 9000);
    expect(h.client.state).toBe('open'); // not before the timeout
    expect(ch.getSnapshot().state).toBe('subscribing');
    pingFor(h, 1000);
    expect(h.states.at(-1)).toMatchObject({ to: 'closed', reason: 'ack-timeout', closeCode: 4202, retryInMs: 500 });
    expect(s1.terminated).toBe(true);
    h.clock.advance(500);
    const s2 = h.accept({ heartbeatMs: 1000 });
    expect(s2).not.toBe(s1);
    expect(s2.frames('sub')).toMatchObject([{ channel: 'room' }]);
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    expect(ch.getSnapshot().state).toBe('subscribed');
    h.msg('room', 1);
    expect(got).toEqual([1]);
    pingFor(h, 60_000);
    expect(h.client.state).toBe('open'); // answered: nothing pending any more
  });

  it('counts from each sub sent: one answered in time keeps the connection, a later unanswered one does not', () => {
    const h = setup(opts);
    h.accept({ heartbeatMs: 1000 });
    h.client.channel('a').subscribe(() => {});
    pingFor(h, 9000);
    h.answerSubs({ a: { offset: 0, epoch: 'e1' } });
    pingFor(h, 30_000);
    expect(h.client.state).toBe('open');
    const b = h.client.channel('b');
    b.subscribe(() => {});
    pingFor(h, 9000);
    expect(h.client.state).toBe('open');
    pingFor(h, 1000);
    expect(h.states.at(-1)).toMatchObject({ reason: 'ack-timeout' });
  });

  it('a server that never answers any sub is reconnected to with a growing backoff, not every ackTimeoutMs at the first delay', () => {
    const h = setup(opts);
    h.client.channel('room').subscribe(() => {});
    const delays: unknown[] = [];
    for (let i = 0; i < 3; i++) {
      const s = h.accept({ heartbeatMs: 1000 });
      expect(s.frames('sub')).toHaveLength(1);
      // Seen by the periodic check: up to heartbeat.checkIntervalMs (1 s here) late.
      for (let ms = 0; ms < 11_000 && h.client.state === 'open'; ms += 1000) pingFor(h, 1000);
      const st = h.states.at(-1)!;
      expect(st).toMatchObject({ to: 'closed', reason: 'ack-timeout' });
      delays.push(st.retryInMs);
      h.clock.advance(st.retryInMs!);
    }
    expect(delays).toEqual([500, 1000, 2000]);
  });

  it('tears down a connection whose server never answers a presence.enter; the reconnect enters again', async () => {
    const h = setup(opts);
    const s1 = h.accept({ heartbeatMs: 1000 });
    const entered = settle(h.client.channel('room').presence.enter({ name: 'ann' }));
    expect(s1.frames('presence.enter')).toHaveLength(1);
    pingFor(h, 9000);
    expect(h.client.state).toBe('open');
    pingFor(h, 1000);
    expect(h.states.at(-1)).toMatchObject({ reason: 'ack-timeout', closeCode: 4202 });
    await flushPromises();
    expect(entered.done).toBe(false); // still wanted: entered again below
    h.clock.advance(500);
    const s2 = h.accept({ heartbeatMs: 1000 });
    const [again] = s2.frames('presence.enter');
    expect(again).toMatchObject({ channel: 'room', info: { name: 'ann' } });
    s2.push({ type: 'presence.ok', ref: again.ref, channel: 'room' });
    await flushPromises();
    expect(entered.done).toBe(true);
    pingFor(h, 60_000);
    expect(h.client.state).toBe('open');
  });

  it('also an unanswered re-entry after a reconnect (no enter() waits on it): torn down, entered again', async () => {
    const h = setup(opts);
    const s1 = h.accept({ heartbeatMs: 1000 });
    const entered = settle(h.client.channel('room').presence.enter({ name: 'ann' }));
    s1.push({ type: 'presence.ok', ref: s1.frames('presence.enter')[0].ref, channel: 'room' });
    await flushPromises();
    expect(entered.done).toBe(true);
    s1.serverClose(1006);
    h.clock.advance(500);
    const s2 = h.accept({ heartbeatMs: 1000 });
    expect(s2.frames('presence.enter')).toHaveLength(1);
    pingFor(h, 9000);
    expect(h.client.state).toBe('open');
    pingFor(h, 2000); // the periodic check comes up to 1 s after the 10 s
    expect(h.states.find((s) => s.reason === 'ack-timeout')).toMatchObject({ closeCode: 4202 });
    h.clock.advance(500);
    const s3 = h.accept({ heartbeatMs: 1000 });
    s3.push({ type: 'presence.ok', ref: s3.frames('presence.enter')[0].ref, channel: 'room' });
    pingFor(h, 60_000);
    expect(h.client.state).toBe('open');
  });

  it('an enter answered in time keeps the connection', async () => {
    const h = setup(opts);
    const s = h.accept({ heartbeatMs: 1000 });
    const entered = settle(h.client.channel('room').presence.enter());
    pingFor(h, 9000);
    s.push({ type: 'presence.ok', ref: s.frames('presence.enter')[0].ref, channel: 'room' });
    await flushPromises();
    expect(entered.done).toBe(true);
    pingFor(h, 60_000);
    expect(h.client.state).toBe('open');
  });

  it('tears down a connection whose server never answers an unsub; the reconnect leaves the channel idle, not subscribed', () => {
    const h = setup(opts);
    const s1 = h.accept({ heartbeatMs: 1000 });
    const ch = h.client.channel('room');
    const off = ch.subscribe(() => {});
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    pingFor(h, 20_000);
    off();
    expect(s1.frames('unsub')).toHaveLength(1);
    pingFor(h, 9000);
    expect(h.client.state).toBe('open');
    expect(ch.getSnapshot().state).toBe('unsubscribing');
    pingFor(h, 1000);
    expect(h.states.at(-1)).toMatchObject({ to: 'closed', reason: 'ack-timeout', closeCode: 4202 });
    expect(ch.getSnapshot().state).toBe('idle');
    h.clock.advance(500);
    const s2 = h.accept({ heartbeatMs: 1000 });
    expect(s2.frames('sub')).toEqual([]);
    pingFor(h, 60_000);
    expect(h.client.state).toBe('open');
  });

  it('an unsub answered in time keeps the connection', () => {
    const h = setup(opts);
    const s = h.accept({ heartbeatMs: 1000 });
    const ch = h.client.channel('room');
    const off = ch.subscribe(() => {});
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    off();
    pingFor(h, 9000);
    s.push({ type: 'unsubscribed', ref: s.frames('unsub')[0].ref, channel: 'room' });
    expect(ch.getSnapshot().state).toBe('idle');
    pingFor(h, 60_000);
    expect(h.client.state).toBe('open');
  });

  it('counts from the oldest enter still unanswered: enters every few seconds do not hide it', async () => {
    const h = setup(opts);
    h.accept({ heartbeatMs: 1000 });
    const p = h.client.channel('room').presence;
    const first = settle(p.enter({ n: 0 }));
    for (let i = 1; i <= 3; i++) {
      pingFor(h, 3000);
      void p.enter({ n: i }).catch(() => {});
    }
    pingFor(h, 1000); // 10 s after the first enter, 1 s after the latest
    expect(h.states.at(-1)).toMatchObject({ reason: 'ack-timeout', closeCode: 4202 });
    await flushPromises();
    expect(first.done).toBe(false); // still wanted: the reconnect enters again
  });

  it('Infinity waits forever for a sub and an enter', () => {
    const h = setup({ outbox: { ackTimeoutMs: Infinity } });
    h.accept({ heartbeatMs: 1000 });
    const ch = h.client.channel('room');
    ch.subscribe(() => {});
    void ch.presence.enter().catch(() => {});
    pingFor(h, 600_000);
    expect(h.client.state).toBe('open');
    expect(ch.getSnapshot().state).toBe('subscribing');
  });
});
