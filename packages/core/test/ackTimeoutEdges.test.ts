// The ack timeout (outbox.ackTimeoutMs) renews a connection on which a publish, sub or
// presence.enter went unanswered while the server sent nothing but heartbeats. A review
// found it firing on healthy connections (answers still coming over a slow link, or
// queued behind a replay; the first tick after a suspension) and never growing its
// backoff with the defaults. Fake clock and socket throughout.
import { describe, expect, it } from 'vitest';
import { ack, flushPromises, settle, setup } from './support/harness';

type H = ReturnType<typeof setup>;

/** Advances `ms` in 1 s steps, the server pinging each second while the client is open. */
function pingFor(h: H, ms: number): void {
  for (let i = 0; i < ms / 1000; i++) {
    h.clock.advance(1000);
    if (h.client.state === 'open') h.sock.push({ type: 'ping' });
  }
}

const reasons = (h: H) => h.states.map((s) => s.reason);

describe('ack timeout: only a server that answers nothing', () => {
  it('a full outbox flushed over a slow link is not torn down while acks keep arriving', async () => {
    // 1,000 publishes queued offline, all sent at once on reconnect; the server acks one
    // every 50 ms as the bytes trickle in (50 s in all, past the 30 s timeout).
    const h = setup({ autoConnect: false });
    const ps = Array.from({ length: 1000 }, (_, i) => settle(h.client.publish('room', 'x'.repeat(900), { id: `m${i}` })));
    h.client.connect();
    const s = h.accept({ heartbeatMs: 15_000, limits: { maxFrameBytes: 65_536, maxChannels: 100 } });
    const pubs = s.frames('pub');
    expect(pubs).toHaveLength(1000);
    for (let i = 0; i < 1000 && h.client.state === 'open'; i++) {
      h.clock.advance(50);
      ack(h, pubs[i], i + 1);
    }
    await flushPromises();
    expect(reasons(h)).not.toContain('ack-timeout');
    expect(ps.every((p) => p.done)).toBe(true);
  });

  it("a sub answered behind another channel's 35 s of messages is not torn down", () => {
    const h = setup();
    h.accept({ heartbeatMs: 15_000 });
    h.client.channel('a').subscribe(() => {});
    h.answerSubs({ a: { offset: 0, epoch: 'e1' } });
    const b = h.client.channel('b');
    b.subscribe(() => {});
    for (let i = 1; i <= 350 && h.client.state === 'open'; i++) {
      h.clock.advance(100);
      h.msg('a', i);
    }
    if (h.client.state === 'open') h.answerSubs({ b: { offset: 0, epoch: 'e1' } });
    expect(reasons(h)).not.toContain('ack-timeout');
    expect(b.getSnapshot().state).toBe('subscribed');
  });

  it('a suspension longer than the timeout probes first (the answer already in the socket still counts)', () => {
    const h = setup({ heartbeat: { timeoutMs: 120_000 } });
    const s = h.accept({ heartbeatMs: 25_000 });
    void settle(h.client.publish('room', 'x'));
    const [f] = s.frames('pub');
    h.clock.jump(40_000); // timers fire late: the first tick comes before the socket is read
    if (h.client.state === 'open') ack(h, f, 1);
    expect(reasons(h)).not.toContain('ack-timeout');
  });

  it('with the defaults, a server that never answers a publish is reconnected to with a growing backoff', () => {
    const h = setup({ reconnect: { jitter: 'none' } }); // ackTimeoutMs 30 s = maxDelayMs 30 s
    void h.client.publish('room', 'x').catch(() => {});
    for (let i = 0; i < 4; i++) {
      h.accept({ heartbeatMs: 1000 });
      const n = h.states.length;
      while (!h.states.slice(n).some((s) => s.reason === 'ack-timeout')) pingFor(h, 1000);
      h.clock.advance(20_000); // the retry fires; nobody answers that socket yet
    }
    expect(h.states.filter((s) => s.reason === 'ack-timeout').map((s) => s.retryInMs)).toEqual([500, 1000, 2000, 4000]);
  });
});
