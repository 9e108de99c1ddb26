// Calls that wait for something the client cannot do while offline share one waiter:
// `whenFlushed()` polled while the outbox cannot empty, and `presence.enter()` called for
// every info update (a cursor) while disconnected, each kept one resolver per call until the
// connection came back, without bound. Each caller still gets the outcome it asked for.
import { describe, expect, it } from 'vitest';
import { isLifelineError } from '../src';
import { flushPromises, settle, setup } from './support/harness';

describe('waiters while offline', () => {
  it('whenFlushed() called 1,000 times while offline: one promise for all, settled once the outbox empties', async () => {
    const h = setup();
    const ch = h.client.channel('room');
    const published = settle(ch.publish({ n: 1 }));
    const first = h.client.whenFlushed();
    const calls = Array.from({ length: 1000 }, () => settle(h.client.whenFlushed()));
    // The same promise: nothing more is kept per call.
    expect(h.client.whenFlushed()).toBe(first);
    h.clock.advance(5000);
    const s = h.accept();
    const pub = s.frames('pub')[0];
    await flushPromises();
    expect(calls.some((c) => c.done)).toBe(false);
    s.push({ type: 'ack', ref: pub.ref, id: pub.id, channel: 'room', offset: 1, epoch: 'e1' });
    await flushPromises();
    expect(published.value).toMatchObject({ offset: 1 });
    expect(calls.every((c) => c.done && c.error === undefined)).toBe(true);
    // Emptied: the next call is settled at once, and a new wait is a new promise.
    await expect(h.client.whenFlushed()).resolves.toBeUndefined();
    void ch.publish({ n: 2 });
    expect(h.client.whenFlushed()).not.toBe(first);
  });

  it('presence.enter() called 1,000 times while offline: the calls share one promise, the latest info is sent once, all resolve on its answer', async () => {
    const h = setup();
    const ch = h.client.channel('room');
    ch.subscribe(() => {});
    const entered = Array.from({ length: 1000 }, (_, i) => ch.presence.enter({ x: i }));
    expect(new Set(entered).size).toBe(1);
    const results = entered.map((p) => settle(p));
    h.clock.advance(5000);
    const s = h.accept();
    const frames = s.frames('presence.enter');
    expect(frames.map((f) => f.info)).toEqual([{ x: 999 }]);
    s.push({ type: 'presence.ok', ref: frames[0].ref, channel: 'room' });
    await flushPromises();
    expect(results.every((r) => r.done && r.error === undefined)).toBe(true);
  });

  it('presence.enter() offline then refused for good: every call rejects with the refusal', async () => {
    const h = setup();
    const ch = h.client.channel('room');
    ch.subscribe(() => {});
    const results = [1, 2, 3].map((i) => settle(ch.presence.enter({ x: i })));
    h.clock.advance(5000);
    const s = h.accept();
    const f = s.frames('presence.enter')[0];
    s.push({ type: 'error', ref: f.ref, channel: 'room', code: 'FORBIDDEN', message: 'no presence here' });
    await flushPromises();
    expect(results.every((r) => isLifelineError(r.error, 'SERVER_ERROR'))).toBe(true);
  });

  it('an enter sent while online is not merged with the next one: each gets its own answer', async () => {
    const h = setup();
    const s = h.accept();
    const ch = h.client.channel('room');
    ch.subscribe(() => {});
    const a = settle(ch.presence.enter({ x: 1 }));
    const b = settle(ch.presence.enter({ x: 2 }));
    // The second waits for the first's answer (one enter in flight: presenceOneInFlight.test.ts).
    const [fa] = s.frames('presence.enter');
    s.push({ type: 'presence.ok', ref: fa.ref, channel: 'room' });
    await flushPromises();
    expect(a.done).toBe(true);
    expect(b.done).toBe(false);
    const fb = s.frames('presence.enter')[1];
    expect(fb.info).toEqual({ x: 2 });
    s.push({ type: 'presence.ok', ref: fb.ref, channel: 'room' });
    await flushPromises();
    expect(b.done).toBe(true);
  });
});
