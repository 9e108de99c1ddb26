import { describe, expect, it } from 'vitest';
import { isLifelineError, type OutboxEvent } from '../src';
import { createManualClock } from '../src/testing';
import { ack, flushPromises, settle, setup } from './support/harness';

const events = (h: ReturnType<typeof setup>) => {
  const out: OutboxEvent[] = [];
  h.client.on('outbox', (e) => out.push(e));
  return out;
};

describe('outbox', () => {
  it('queues while not open, flushes in order after resubscription, resolves {offset} on ack', async () => {
    const h = setup();
    const ch = h.client.channel('room');
    ch.subscribe(() => {});
    const timers = h.clock.pending();
    const ps = [1, 2, 3].map((n) => settle(ch.publish({ n })));
    expect(h.client.stats().outboxDepth).toBe(3);
    expect(h.clock.pending()).toBe(timers); // nothing is scheduled for a queue that cannot send
    h.clock.advance(5000);
    const s = h.accept();
    const types = s.frames().map((f) => f.type);
    expect(types).toEqual(['hello', 'sub', 'pub', 'pub', 'pub']);
    const pubs = s.frames('pub');
    expect(pubs.map((p) => p.data.n)).toEqual([1, 2, 3]);
    pubs.forEach((p, i) => ack(h, p, 10 + i));
    await flushPromises();
    expect(ps.map((p) => p.value)).toEqual([
      { offset: 10, epoch: 'e1', duplicate: false },
      { offset: 11, epoch: 'e1', duplicate: false },
      { offset: 12, epoch: 'e1', duplicate: false },
    ]);
    expect(h.client.stats().outboxDepth).toBe(0);
  });

  it('a publish whose ack was lost is re-sent with the same id after reconnect', async () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 10 } });
    h.accept();
    const p = settle(h.client.channel('room').publish('x'));
    const first = h.sock.frames('pub')[0];
    h.sock.serverClose(1006); // ack lost
    h.clock.advance(10);
    h.accept();
    const again = h.sock.frames('pub')[0];
    expect(again.id).toBe(first.id);
    expect(again.data).toBe('x');
    ack(h, again, 7, true);
    await flushPromises();
    expect(p.value).toEqual({ offset: 7, epoch: 'e1', duplicate: true });
  });

  it('ids are unique per client instance even with a fixed clientId', () => {
    const a = setup({ clientId: 'same', random: () => 0.1 });
    a.accept();
    a.client.publish('c', 1);
    const idA = a.sock.frames('pub')[0].id;
    const b = setup({ clientId: 'same', random: () => 0.7 });
    b.accept();
    b.client.publish('c', 1);
    expect(b.sock.frames('pub')[0].id).not.toBe(idA);
  });

  it('overflow reject (default): the new publish is refused with OUTBOX_FULL and an event', async () => {
    const h = setup({ outbox: { maxMessages: 2 } });
    const ev = events(h);
    const ps = [1, 2, 3].map((n) => settle(h.client.publish('c', n)));
    await flushPromises();
    expect(ps.map((p) => p.done)).toEqual([false, false, true]);
    expect(isLifelineError(ps[2]!.error, 'OUTBOX_FULL')).toBe(true);
    expect(ev).toMatchObject([{ kind: 'rejected', channel: 'c' }]);
    expect(h.client.stats().outboxDepth).toBe(2);
  });

  it('overflow drop-oldest evicts the oldest queued', async () => {
    const h = setup({ outbox: { maxMessages: 2, overflow: 'drop-oldest' } });
    const ev = events(h);
    const ps = [1, 2, 3].map((n) => settle(h.client.publish('c', n)));
    await flushPromises();
    expect(isLifelineError(ps[0]!.error, 'OUTBOX_DROPPED')).toBe(true);
    expect(ps.map((p) => p.done)).toEqual([true, false, false]);
    expect(ev[0]!.kind).toBe('dropped');
    h.accept();
    expect(h.sock.frames('pub').map((f) => f.data)).toEqual([2, 3]);
  });

  it('drop-oldest never evicts a publish already sent (queued again after a reconnect): the oldest unsent goes', async () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 10 }, outbox: { maxMessages: 2, overflow: 'drop-oldest' } });
    const ev = events(h);
    h.accept();
    const a = settle(h.client.publish('c', 'A'));
    expect(h.sock.frames('pub').map((f) => f.data)).toEqual(['A']);
    h.sock.serverClose(1006); // A may be stored: its ack was lost with the connection
    const b = settle(h.client.publish('c', 'B'));
    const c = settle(h.client.publish('c', 'C'));
    await flushPromises();
    expect(a.done).toBe(false);
    expect(isLifelineError(b.error, 'OUTBOX_DROPPED')).toBe(true);
    expect(ev.map((e) => e.kind)).toEqual(['dropped']);
    h.clock.advance(10);
    h.accept();
    const pubs = h.sock.frames('pub');
    expect(pubs.map((f) => f.data)).toEqual(['A', 'C']);
    pubs.forEach((f, i) => ack(h, f, 5 + i));
    await flushPromises();
    expect(a.value).toMatchObject({ offset: 5 });
    expect(c.value).toMatchObject({ offset: 6 });
  });

  it('drop-oldest with only sent publishes queued refuses the newcomer (OUTBOX_FULL) rather than evict one', async () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 10 }, outbox: { maxMessages: 1, overflow: 'drop-oldest' } });
    h.accept();
    const a = settle(h.client.publish('c', 'A'));
    h.sock.serverClose(1006);
    const b = settle(h.client.publish('c', 'B'));
    await flushPromises();
    expect(a.done).toBe(false);
    expect(isLifelineError(b.error, 'OUTBOX_FULL')).toBe(true);
  });

  it('overflow drop-newest refuses the newcomer with OUTBOX_DROPPED', async () => {
    const h = setup({ outbox: { maxMessages: 2, overflow: 'drop-newest' } });
    const ev = events(h);
    const ps = [1, 2, 3].map((n) => settle(h.client.publish('c', n)));
    await flushPromises();
    expect(isLifelineError(ps[2]!.error, 'OUTBOX_DROPPED')).toBe(true);
    expect(ev[0]).toMatchObject({ kind: 'dropped' });
  });

  it('is bounded by bytes too', async () => {
    const h = setup({ outbox: { maxBytes: 300 } });
    const a = settle(h.client.publish('c', 'x'.repeat(100)));
    const b = settle(h.client.publish('c', 'y'.repeat(200)));
    await flushPromises();
    expect(a.done).toBe(false);
    expect(isLifelineError(b.error, 'OUTBOX_FULL')).toBe(true);
    expect(h.client.stats().outboxBytes).toBeLessThanOrEqual(300);
  });

  it('per-message ttl expires queued publishes (OUTBOX_EXPIRED), not in-flight ones', async () => {
    // The test holds a publish unanswered for 80 s on a live connection: no ack timeout here.
    const h = setup({ outbox: { ttlMs: 5000, ackTimeoutMs: Infinity } });
    const ev = events(h);
    const a = settle(h.client.publish('c', 1));
    const b = settle(h.client.publish('c', 2, { ttlMs: 60_000 }));
    h.clock.advance(6000);
    await flushPromises();
    expect(isLifelineError(a.error, 'OUTBOX_EXPIRED')).toBe(true);
    expect(ev).toMatchObject([{ kind: 'expired' }]);
    expect(b.done).toBe(false);
    h.accept();
    expect(h.sock.frames('pub').map((f) => f.data)).toEqual([2]);
    for (let i = 0; i < 8; i++) {
      h.clock.advance(10_000); // in flight: past TTL's reach (the connection stays alive)
      h.sock.push({ type: 'pong' });
    }
    expect(h.client.state).toBe('open');
    await flushPromises();
    expect(b.done).toBe(false);
  });

  it('a publish once sent is not expired after a dropped connection puts it back in the queue (it may be stored)', async () => {
    const h = setup({ outbox: { ttlMs: 5000 }, reconnect: { jitter: 'none', initialDelayMs: 100 } });
    const p = settle(h.client.publish('c', 1));
    h.accept();
    expect(h.sock.frames('pub').map((f) => f.data)).toEqual([1]);
    h.sock.serverClose(1006);
    h.clock.advance(60_000); // far past its TTL, while back in the queue
    await flushPromises();
    expect(p.done).toBe(false);
    h.accept();
    const resent = h.sock.frames('pub')[0];
    expect(resent.data).toBe(1);
    ack(h, resent, 7, true);
    await flushPromises();
    expect(p.value).toMatchObject({ offset: 7, duplicate: true });
  });

  it('drop-oldest evicts nothing when eviction cannot make room: OUTBOX_FULL for the newcomer only', async () => {
    // Too big for maxBytes on its own.
    const h = setup({ autoConnect: false, outbox: { overflow: 'drop-oldest', maxBytes: 1000 } });
    const ev = events(h);
    const small = [1, 2, 3].map((i) => settle(h.client.publish('c', i)));
    const big = settle(h.client.publish('c', 'x'.repeat(2000)));
    await flushPromises();
    expect(isLifelineError(big.error, 'OUTBOX_FULL')).toBe(true);
    expect(small.every((r) => !r.done)).toBe(true);
    expect(ev.map((e) => e.kind)).toEqual(['rejected']);
    // Fits only if what is in flight were dropped too (it never is).
    const h2 = setup({ outbox: { overflow: 'drop-oldest', maxBytes: 1000 } });
    h2.accept({ limits: { maxFrameBytes: 65536, maxChannels: 100, publishPerSec: 1, publishBurst: 1 } });
    const inFlight = settle(h2.client.publish('c', 'a'.repeat(600)));
    const queued = settle(h2.client.publish('c', 'b'));
    expect(h2.sock.frames('pub').length).toBe(1);
    const wide = settle(h2.client.publish('c', 'c'.repeat(500)));
    await flushPromises();
    expect(isLifelineError(wide.error, 'OUTBOX_FULL')).toBe(true);
    expect(inFlight.done || queued.done).toBe(false);
  });

  it('whenFlushed() waits for a publish that evicted the last queued one (drop-oldest)', async () => {
    const h = setup({ autoConnect: false, outbox: { overflow: 'drop-oldest', maxMessages: 1 } });
    const a = settle(h.client.publish('c', 'A'));
    const flushed = settle(h.client.whenFlushed());
    const b = settle(h.client.publish('c', 'B'));
    await flushPromises();
    expect(isLifelineError(a.error, 'OUTBOX_DROPPED')).toBe(true);
    expect(b.done).toBe(false);
    expect(flushed.done).toBe(false);
    h.client.connect();
    h.accept();
    ack(h, h.sock.frames('pub')[0], 1);
    await flushPromises();
    expect(b.value).toMatchObject({ offset: 1 });
    expect(flushed.done).toBe(true);
  });

  it('an outbox listener that closes the client: the publish that evicted settles CLIENT_CLOSED; a flush of doomed entries ends', async () => {
    const h = setup({ autoConnect: false, outbox: { overflow: 'drop-oldest', maxMessages: 1 } });
    const a = settle(h.client.publish('c', 'A'));
    const closing: Promise<void>[] = [];
    h.client.on('outbox', () => closing.push(h.client.close()));
    const b = settle(h.client.publish('c', 'B'));
    await Promise.all(closing);
    await flushPromises();
    expect(isLifelineError(a.error, 'OUTBOX_DROPPED')).toBe(true);
    expect(isLifelineError(b.error, 'CLIENT_CLOSED')).toBe(true);
    // Queued entries found too large by the welcome's limits, and a listener closing on the first.
    const h2 = setup({ autoConnect: false });
    const queued = [1, 2, 3].map(() => settle(h2.client.publish('c', 'x'.repeat(1000))));
    h2.client.on('outbox', () => void h2.client.close());
    h2.client.connect();
    h2.accept({ limits: { maxFrameBytes: 500, maxChannels: 100, publishPerSec: 100, publishBurst: 200 } });
    await flushPromises();
    expect(isLifelineError(queued[0]!.error, 'MESSAGE_TOO_LARGE')).toBe(true);
    expect(queued.slice(1).every((r) => isLifelineError(r.error, 'CLIENT_CLOSED'))).toBe(true);
  });

  it('rejects a publish larger than the server’s maxFrameBytes before sending', async () => {
    const h = setup();
    const s = h.accept({ limits: { maxFrameBytes: 200, maxChannels: 10, publishPerSec: 100, publishBurst: 100 } });
    const p = settle(h.client.publish('c', 'é'.repeat(100), { id: 'p1' })); // 200 bytes of UTF-8
    await flushPromises();
    expect(isLifelineError(p.error, 'MESSAGE_TOO_LARGE')).toBe(true);
    // The id, the size and the limit: the same words as when the limit is learnt later.
    expect(p.error.message).toMatch(/^publish to c: p1 \d+ B > maxFrameBytes 200$/);
    expect(s.frames('pub')).toEqual([]);
  });

  it('maxFrameBytes is compared with the frame as sent: exactly at the limit is sent; one byte over (a longer ref too) is refused', async () => {
    const h = setup();
    const limits = { maxFrameBytes: 100, maxChannels: 10, publishPerSec: 1000, publishBurst: 1000 };
    h.accept({ limits });
    const frameOf = (ref: number, id: string, data: string) => JSON.stringify({ type: 'pub', ref, channel: 'c', id, data });
    const sent = () => h.sock.frames('pub');
    // Publish fillers until the next ref is 9: a one-digit ref, the smallest frame.
    while (sent().length === 0 || sent().at(-1).ref < 8) {
      const p = h.client.publish('c', 'f', { id: `f${sent().length}` });
      ack(h, sent().at(-1), sent().length);
      await p;
    }
    const fill = (id: string, ref: number) => 'y'.repeat(100 - frameOf(ref, id, '').length);
    const atLimit = settle(h.client.publish('c', fill('a', 9), { id: 'a' }));
    expect(h.sock.sent.at(-1)).toBe(frameOf(9, 'a', fill('a', 9)));
    expect(new TextEncoder().encode(h.sock.sent.at(-1)).length).toBe(100);
    ack(h, sent().at(-1), 50);
    await flushPromises();
    expect(atLimit.value).toMatchObject({ offset: 50 });
    // The same size with a one-digit ref, but its ref is 10: 101 B as sent.
    const over = settle(h.client.publish('c', fill('b', 9), { id: 'b' }));
    await flushPromises();
    expect(isLifelineError(over.error, 'MESSAGE_TOO_LARGE')).toBe(true);
    expect(over.error.message).toBe('publish to c: b 101 B > maxFrameBytes 100');
    expect(sent().at(-1).id).toBe('a');
  });

  it('a publish re-sent after a reconnect is the same frame (its first ref), so a frame that met the limit still does', async () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 10 } });
    const limits = { maxFrameBytes: 100, maxChannels: 100, publishPerSec: 1000, publishBurst: 1000 };
    h.accept({ limits });
    const base = JSON.stringify({ type: 'pub', ref: 1, channel: 'c', id: 'a', data: '' }).length;
    const p = settle(h.client.publish('c', 'y'.repeat(100 - base), { id: 'a' }));
    const first = h.sock.sent.at(-1)!;
    expect(new TextEncoder().encode(first).length).toBe(100);
    // Refs move on past 9 meanwhile (each sub and unsub takes one).
    for (let i = 0; i < 5; i++) h.client.channel(`r${i}`).subscribe(() => {})();
    h.sock.serverClose(1006);
    h.clock.advance(10);
    h.accept({ limits });
    expect(h.sock.sent.filter((t) => t.includes('"type":"pub"'))).toEqual([first]);
    ack(h, h.sock.frames('pub')[0], 3);
    await flushPromises();
    expect(p.value).toMatchObject({ offset: 3 });
  });

  // Found by a chaos trial: 5 refused (rate), 6-8 in flight refused behind it; the client
  // re-sent 5 and 6 with the new 9 and 10 before 7 and 8 came back, and the server stored
  // 9 and 10 ahead of 7 and 8.
  it('after a refusal with a retry hint nothing is sent until every publish in flight is answered; then all go in publish order', async () => {
    const h = setup();
    h.accept({ limits: { maxFrameBytes: 65536, maxChannels: 10, publishPerSec: 1000, publishBurst: 1000 } });
    const ps = [1, 2, 3, 4].map((n) => settle(h.client.publish('c', n)));
    const pubs = h.sock.frames('pub');
    expect(pubs.map((f) => f.data)).toEqual([1, 2, 3, 4]);
    const refuse = (f: any) => h.sock.push({ type: 'error', ref: f.ref, channel: 'c', code: 'RATE_LIMITED', message: 'slow down', retryAfterMs: 5 });
    refuse(pubs[1]);
    const later = settle(h.client.publish('c', 5));
    h.clock.advance(5);
    refuse(pubs[2]); // 3 and 4 still unanswered when the retry is due: nothing goes
    h.clock.advance(50);
    expect(h.sock.frames('pub')).toHaveLength(4);
    ack(h, pubs[0], 1);
    refuse(pubs[3]);
    h.clock.advance(5);
    const resent = h.sock.frames('pub').slice(4);
    expect(resent.map((f) => f.data)).toEqual([2, 3, 4, 5]);
    resent.forEach((f, i) => ack(h, f, 2 + i));
    await flushPromises();
    expect([...ps, later].map((p) => p.value?.offset)).toEqual([1, 2, 3, 4, 5]);
  });

  it('a queued publish found too large once the limits are known is rejected, not sent', async () => {
    const h = setup();
    const p = settle(h.client.publish('c', 'x'.repeat(500), { id: 'p2' }));
    const s = h.accept({ limits: { maxFrameBytes: 200, maxChannels: 10, publishPerSec: 100, publishBurst: 100 } });
    await flushPromises();
    expect(isLifelineError(p.error, 'MESSAGE_TOO_LARGE')).toBe(true);
    expect(p.error.message).toMatch(/^publish to c: p2 \d+ B > maxFrameBytes 200$/);
    expect(s.frames('pub')).toEqual([]);
  });

  it('bad input is a typed BAD_ARGUMENT rejection', async () => {
    const h = setup();
    const circular: any = {};
    circular.self = circular;
    const ps = [h.client.publish('c', circular), h.client.publish('bad name!', 1), h.client.publish('c', 1, { id: '' })];
    for (const p of ps) await expect(p).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
    expect(() => h.client.channel('no spaces')).toThrow(/invalid channel name/);
    expect(h.client.stats().outboxDepth).toBe(0);
  });

  it('a channel name that is not a string is BAD_ARGUMENT too (a regex reads 123 as "123"), nothing queued or subscribed', async () => {
    const h = setup();
    const s = h.accept();
    for (const name of [123, null, undefined, ['a'], { toString: () => 'a' }] as any[]) {
      await expect(h.client.publish(name, 1)).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
      expect(() => h.client.channel(name)).toThrow(/invalid channel name/);
    }
    expect(h.client.stats().outboxDepth).toBe(0);
    expect(s.frames('pub')).toEqual([]);
    expect(s.frames('sub')).toEqual([]);
  });

  it.each([0, 0.5, -3, undefined, 'x'])('a publishBurst of %s still sends, one at a time at publishPerSec (it stalled, or pacing went off)', (burst) => {
    const h = setup();
    const s = h.accept({ limits: { maxFrameBytes: 65536, maxChannels: 10, publishPerSec: 10, publishBurst: burst as any } });
    for (let i = 1; i <= 3; i++) void h.client.publish('c', i);
    expect(s.frames('pub').map((f) => f.data)).toEqual([1]);
    h.clock.advance(100);
    expect(s.frames('pub').map((f) => f.data)).toEqual([1, 2]);
    h.clock.advance(100);
    expect(s.frames('pub').map((f) => f.data)).toEqual([1, 2, 3]);
  });

  it('paces publishes with the server’s rate limit and re-sends RATE_LIMITED ones in order', async () => {
    const h = setup();
    const s = h.accept({ limits: { maxFrameBytes: 65536, maxChannels: 10, publishPerSec: 10, publishBurst: 3 } });
    for (let i = 1; i <= 6; i++) h.client.publish('c', i);
    expect(s.frames('pub').map((f) => f.data)).toEqual([1, 2, 3]);
    h.clock.advance(100);
    expect(s.frames('pub').map((f) => f.data)).toEqual([1, 2, 3, 4]);
    const p4 = s.frames('pub')[3];
    s.push({ type: 'error', code: 'RATE_LIMITED', message: 'slow down', ref: p4.ref, retryAfterMs: 500 });
    s.frames('pub').slice(0, 3).forEach((f, i) => ack(h, f, i + 1)); // nothing else in flight
    h.clock.advance(400);
    expect(s.frames('pub').length).toBe(4);
    h.clock.advance(100);
    expect(s.frames('pub').slice(4).map((f) => f.data)).toEqual([4, 5, 6]);
    expect(s.frames('pub')[4].id).toBe(p4.id);
  });

  it('re-sends in publish order after a reconnect, a RATE_LIMITED one re-sent after later ones included', async () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 10 } });
    const s = h.accept();
    for (let i = 1; i <= 3; i++) h.client.publish('c', i);
    const p2 = s.frames('pub')[1];
    s.push({ type: 'error', code: 'RATE_LIMITED', message: 'slow down', ref: p2.ref, retryAfterMs: 500 });
    h.clock.advance(500);
    // 1 and 3 are not answered yet: 2 waits for them (3 may come back refused too).
    expect(s.frames('pub').map((f) => f.data)).toEqual([1, 2, 3]);
    s.serverClose(1006);
    h.clock.advance(10);
    const again = h.accept();
    expect(again.frames('pub').map((f) => f.data)).toEqual([1, 2, 3]);
  });

  it.each([
    ['no limits', { limits: undefined }],
    ['publishPerSec 0', { limits: { maxFrameBytes: 65536, maxChannels: 10, publishPerSec: 0, publishBurst: 3 } }],
  ])('welcome with %s: RATE_LIMITED retryAfterMs 500 → one resend after 500 ms, no timer storm', async (_, over) => {
    // Counts timers armed, and stops a storm (a 0 ms timer re-arming itself) instead of hanging.
    const clock = createManualClock(0);
    let armed = 0;
    const counting = {
      ...clock,
      setTimeout(cb: () => void, ms: number) {
        if (++armed > 50) throw new Error(`timer storm: ${armed} timers armed (last ${ms} ms)`);
        return clock.setTimeout(cb, ms);
      },
    };
    const h = setup({ clock: counting });
    const s = h.accept(over);
    const p = settle(h.client.publish('c', 1));
    const base = clock.pending();
    const f = s.frames('pub')[0];
    s.push({ type: 'error', code: 'RATE_LIMITED', message: 'slow down', ref: f.ref, retryAfterMs: 500 });
    expect(clock.pending()).toBe(base + 1);
    clock.advance(499);
    expect(s.frames('pub').length).toBe(1);
    expect(clock.pending()).toBe(base + 1);
    clock.advance(1);
    expect(s.frames('pub').length).toBe(2);
    expect(s.frames('pub')[1].id).toBe(f.id);
    expect(clock.pending()).toBe(base);
    clock.advance(5000);
    expect(s.frames('pub').length).toBe(2);
    ack(h, s.frames('pub')[1], 1);
    await flushPromises();
    expect(p.value).toMatchObject({ offset: 1 });
  });

  it('a non-retryable error on a publish rejects it with SERVER_ERROR', async () => {
    const h = setup();
    const s = h.accept();
    const p = settle(h.client.publish('c', 1));
    s.push({ type: 'error', code: 'FORBIDDEN', message: 'no', ref: s.frames('pub')[0].ref, channel: 'c' });
    await flushPromises();
    expect(p.error).toMatchObject({ code: 'SERVER_ERROR', serverCode: 'FORBIDDEN' });
    expect(h.client.stats().outboxDepth).toBe(0);
  });

  it('close() with onClose fail (default) rejects queued and in-flight publishes', async () => {
    const h = setup();
    h.accept();
    const a = settle(h.client.publish('c', 1));
    h.sock.serverClose(1006);
    const b = settle(h.client.publish('c', 2));
    await h.client.close();
    expect(isLifelineError(a.error, 'CLIENT_CLOSED')).toBe(true);
    expect(isLifelineError(b.error, 'CLIENT_CLOSED')).toBe(true);
    // after close, publishes queue again until the next connect()
    void h.client.publish('c', 3).catch(() => {});
    expect(h.client.stats().outboxDepth).toBe(1);
  });

  it('close() with onClose flush waits for the acks first', async () => {
    const h = setup({ outbox: { onClose: 'flush' } });
    const s = h.accept();
    const a = settle(h.client.publish('c', 1));
    const closed = settle(h.client.close());
    await flushPromises();
    expect(h.client.state).toBe('open');
    ack(h, s.frames('pub')[0], 1);
    await flushPromises();
    expect(a.value).toMatchObject({ offset: 1 });
    expect(h.client.state).toBe('closing');
    s.serverClose(1000);
    await flushPromises();
    expect(closed.done).toBe(true);
    expect(h.clock.pending()).toBe(0);
  });

  it('close() with onClose flush goes on as soon as the last publish is rejected (no wait for the timeout)', async () => {
    const h = setup({ outbox: { onClose: 'flush', closeTimeoutMs: 60_000 } });
    const s = h.accept();
    const a = settle(h.client.publish('c', 1));
    const closed = settle(h.client.close());
    await flushPromises();
    expect(h.client.state).toBe('open');
    s.push({ type: 'error', ref: s.frames('pub')[0].ref, code: 'FORBIDDEN', message: 'no' });
    await flushPromises();
    expect(a.error?.code).toBe('SERVER_ERROR');
    expect(h.client.state).toBe('closing'); // at once, not after 60 s
    s.serverClose(1000);
    await flushPromises();
    expect(closed.done).toBe(true);
  });

  it('close() with onClose flush gives up after closeTimeoutMs', async () => {
    const h = setup({ outbox: { onClose: 'flush', closeTimeoutMs: 2000 } });
    h.accept();
    const a = settle(h.client.publish('c', 1));
    const closed = settle(h.client.close());
    h.clock.advance(2000);
    await flushPromises();
    h.clock.advance(1000);
    await flushPromises();
    expect(isLifelineError(a.error, 'CLIENT_CLOSED')).toBe(true);
    expect(closed.done).toBe(true);
  });

  it('the clock-jump probe while close() flushes does not replace the close timeout', async () => {
    const h = setup({ outbox: { onClose: 'flush', closeTimeoutMs: 5000 }, heartbeat: { probeTimeoutMs: 60_000, checkIntervalMs: 1000 } });
    const s = h.accept();
    const a = settle(h.client.publish('c', 1));
    const closed = settle(h.client.close());
    s.push({ type: 'ping' }); // frames still come while the outbox flushes
    // Woken from sleep: the periodic check runs late (a probe) before the close timeout fires.
    h.clock.jump(20_000);
    await flushPromises();
    h.clock.advance(1000);
    await flushPromises();
    expect(isLifelineError(a.error, 'CLIENT_CLOSED')).toBe(true);
    expect(closed.done).toBe(true);
  });
});
