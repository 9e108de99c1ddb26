// presence.enter() called on every change of its info (a cursor, a typing indicator: what
// @lifeline/react's usePresence does) sent one `presence.enter` per call: a React trial's
// 1,500 changes in 1.5 s sent 1,501 frames and the server refused 658 of them RATE_LIMITED
// (its presence bucket: 100/s, burst 200, PROTOCOL.md §11). Now a channel keeps one enter in
// flight: calls made meanwhile share one promise, and only the latest info goes out, once
// the one in flight is answered. Fake clock and socket; the test is the server.
import { describe, expect, it } from 'vitest';
import { isLifelineError } from '../src';
import { flushPromises, settle, setup } from './support/harness';

type H = ReturnType<typeof setup>;

/** The server's side of this client's presence on 'room': answers enter frames in order, as told. */
function presenceServer(h: H) {
  const sock = h.sock;
  const sent: any[] = [];
  let answered = 0;
  let held: unknown;
  const enters = () => {
    for (let i = sent.length; i < sock.sent.length; i++) sent.push(JSON.parse(sock.sent[i]!));
    return sent.filter((f) => f.type === 'presence.enter');
  };
  return {
    enters,
    /** The info the server holds for this client (the last enter it took). */
    held: () => held,
    /** Enter frames sent and not answered yet. */
    inFlight: () => enters().length - answered,
    ok() {
      const f = enters()[answered++];
      const event = held === undefined ? 'join' : 'update';
      held = f.info;
      sock.push({ type: 'presence', channel: 'room', event, member: { clientId: h.client.clientId, info: f.info } });
      sock.push({ type: 'presence.ok', ref: f.ref, channel: 'room' });
    },
    refuse(code: string, retryAfterMs?: number) {
      const f = enters()[answered++];
      sock.push({ type: 'error', ref: f.ref, channel: 'room', code, message: `refused: ${code}`, retryAfterMs });
    },
  };
}

function entered() {
  const h = setup();
  h.accept();
  const ch = h.client.channel('room');
  ch.subscribe(() => {});
  const srv = presenceServer(h);
  const first = settle(ch.presence.enter({ x: 0 }));
  expect(srv.inFlight()).toBe(1);
  return { h, ch, srv, first };
}

/** `n` more enter() calls, infos x: 1..n, all made while the first is in flight. */
const rapid = (ch: ReturnType<typeof entered>['ch'], n = 1000) => Array.from({ length: n }, (_, i) => ch.presence.enter({ x: i + 1 }));

describe('presence.enter() while one is in flight', () => {
  it('1,000 calls: nothing more is sent until the answer, then the latest info once; the calls share one promise, resolved when that one is taken', async () => {
    const t = entered();
    const ps = rapid(t.ch);
    expect(new Set(ps).size).toBe(1);
    const later = ps.map((p) => settle(p));
    expect(t.srv.enters()).toHaveLength(1);
    t.srv.ok();
    await flushPromises();
    expect(t.first.done && t.first.error === undefined).toBe(true);
    expect(later.some((r) => r.done)).toBe(false);
    expect(t.srv.enters().map((f) => f.info)).toEqual([{ x: 0 }, { x: 1000 }]);
    t.srv.ok();
    await flushPromises();
    expect(later.every((r) => r.done && r.error === undefined)).toBe(true);
    expect(t.srv.held()).toEqual({ x: 1000 });
    expect(t.ch.presence.members().map((m) => m.info)).toEqual([{ x: 1000 }]);
    // Nothing waits any more: the next call goes out at once.
    void t.ch.presence.enter({ x: 'next' });
    expect(t.srv.enters().map((f) => f.info)).toEqual([{ x: 0 }, { x: 1000 }, { x: 'next' }]);
  });

  it('the latest refused for good: the superseded calls reject with that refusal; the first stays resolved and the reconnect enters with it', async () => {
    const t = entered();
    const later = rapid(t.ch, 3).map((p) => settle(p));
    t.srv.ok();
    t.srv.refuse('BAD_FIELD');
    await flushPromises();
    expect(t.first.error).toBeUndefined();
    expect(later.every((r) => isLifelineError(r.error, 'SERVER_ERROR') && r.error.serverCode === 'BAD_FIELD')).toBe(true);
    t.h.sock.serverClose(1006);
    t.h.clock.advance(t.h.client.getSnapshot().retryInMs!);
    t.h.accept();
    expect(t.h.sock.frames('presence.enter').map((f) => f.info)).toEqual([{ x: 0 }]);
  });

  it('the one in flight refused for good: it rejects, and the latest still goes out and resolves the others', async () => {
    const t = entered();
    const later = rapid(t.ch, 3).map((p) => settle(p));
    t.srv.refuse('BAD_FIELD');
    await flushPromises();
    expect(t.first.error?.serverCode).toBe('BAD_FIELD');
    expect(t.srv.enters().map((f) => f.info)).toEqual([{ x: 0 }, { x: 3 }]);
    t.srv.ok();
    await flushPromises();
    expect(later.every((r) => r.done && r.error === undefined)).toBe(true);
    expect(t.srv.held()).toEqual({ x: 3 });
  });

  it('the one in flight refused RATE_LIMITED: calls during the hint send nothing; after it the latest goes once, and every call (the first too) resolves on its answer', async () => {
    const t = entered();
    t.srv.refuse('RATE_LIMITED', 50);
    await flushPromises();
    const later = rapid(t.ch, 10).map((p) => settle(p));
    t.h.clock.advance(49);
    expect(t.srv.enters()).toHaveLength(1);
    t.h.clock.advance(1);
    expect(t.srv.enters().map((f) => f.info)).toEqual([{ x: 0 }, { x: 10 }]);
    t.srv.ok();
    await flushPromises();
    expect([t.first, ...later].every((r) => r.done && r.error === undefined)).toBe(true);
    expect(t.srv.held()).toEqual({ x: 10 });
  });

  it('leave() while one is in flight: the waiting calls resolve at once, nothing but the leave goes out after', async () => {
    const t = entered();
    const later = rapid(t.ch, 3).map((p) => settle(p));
    await t.ch.presence.leave();
    await flushPromises();
    expect(later.every((r) => r.done && r.error === undefined)).toBe(true);
    t.srv.ok();
    await flushPromises();
    expect(t.first.done).toBe(true);
    expect(t.srv.enters()).toHaveLength(1);
    expect(t.h.sock.frames('presence.leave')).toHaveLength(1);
  });

  it('the connection drops with one in flight and others waiting: the reconnect enters once with the latest, which settles them all', async () => {
    const t = entered();
    const later = rapid(t.ch, 3).map((p) => settle(p));
    t.h.sock.serverClose(1006);
    t.h.clock.advance(t.h.client.getSnapshot().retryInMs!);
    t.h.accept();
    const srv = presenceServer(t.h);
    expect(srv.enters().map((f) => f.info)).toEqual([{ x: 3 }]);
    srv.ok();
    await flushPromises();
    expect([t.first, ...later].every((r) => r.done && r.error === undefined)).toBe(true);
  });

  it('the ack timeout counts from the one in flight: calls each second meanwhile do not push it back', async () => {
    const h = setup({ outbox: { ackTimeoutMs: 10_000 }, reconnect: { jitter: 'none', initialDelayMs: 500 } });
    h.accept({ heartbeatMs: 1000 });
    const ch = h.client.channel('room');
    void ch.presence.enter({ x: 0 });
    for (let i = 1; i <= 11 && h.client.state === 'open'; i++) {
      h.clock.advance(1000);
      h.sock.push({ type: 'ping' });
      void ch.presence.enter({ x: i });
    }
    expect(h.states.at(-1)).toMatchObject({ reason: 'ack-timeout', closeCode: 4202 });
    expect(h.sock.frames('presence.enter')).toHaveLength(1);
  });
});

describe('the trial: 1,500 info changes in 1.5 s against a server with a presence bucket of 100/s, burst 200', () => {
  it('never more than one enter unanswered, far fewer frames and refusals, and the server ends with the latest info', async () => {
    const h = setup();
    h.accept();
    const ch = h.client.channel('room');
    ch.subscribe(() => {});
    ch.on('error', () => {});
    const srv = presenceServer(h);
    // The server's bucket, and a 1 ms round trip: each frame is answered 1 ms after it was sent.
    let tokens = 200;
    let last = h.clock.now();
    let seen = 0;
    let refusals = 0;
    let most = 0;
    const answer = () => {
      const now = h.clock.now();
      tokens = Math.min(200, tokens + (now - last) / 10);
      last = now;
      if (tokens >= 1) return tokens--, srv.ok();
      refusals++;
      srv.refuse('RATE_LIMITED', Math.ceil((1 - tokens) * 10));
    };
    const results: ReturnType<typeof settle>[] = [];
    for (let i = 0; i < 1500; i++) {
      results.push(settle(ch.presence.enter({ x: i })));
      most = Math.max(most, srv.inFlight());
      for (; seen < srv.enters().length; seen++) h.clock.setTimeout(answer, 1);
      h.clock.advance(1);
    }
    // Then a second more: the last enters, refused for now, wait out their hints.
    for (let i = 0; i < 1000; i++) {
      for (; seen < srv.enters().length; seen++) h.clock.setTimeout(answer, 1);
      h.clock.advance(1);
    }
    await flushPromises();
    const frames = srv.enters().length;
    console.log(`1,500 enter() calls in 1.5 s: ${frames} presence.enter frames, ${refusals} RATE_LIMITED`);
    expect(most).toBe(1);
    expect(srv.held()).toEqual({ x: 1499 });
    expect(results.every((r) => r.done && r.error === undefined)).toBe(true);
    expect(frames).toBeLessThan(800);
    expect(refusals).toBeLessThan(200);
  });
});
