// The outbox TTL holds whatever the connection does: a publish queued while the client
// is not connected (and will not be soon) is rejected with OUTBOX_EXPIRED at its TTL,
// to the millisecond, and nothing stays armed once nothing queued can expire.
import { describe, expect, it } from 'vitest';
import { isLifelineError, type OutboxEvent } from '../src';
import { createManualClock } from '../src/testing';
import { flushPromises, settle, setup } from './support/harness';

type H = ReturnType<typeof setup>;

/** Publishes with a TTL not aligned to the 1 s liveness tick, and checks it expires exactly then. */
async function expiresAtTtl(h: H, ttlMs = 2500) {
  const ev: OutboxEvent[] = [];
  h.client.on('outbox', (e) => ev.push(e));
  const p = settle(h.client.publish('c', 1, { ttlMs }));
  const w = settle(h.client.whenFlushed());
  h.clock.advance(ttlMs - 1);
  await flushPromises();
  expect(p.done).toBe(false);
  expect(w.done).toBe(false);
  h.clock.advance(1);
  await flushPromises();
  expect(isLifelineError(p.error, 'OUTBOX_EXPIRED')).toBe(true);
  expect(w.done).toBe(true);
  expect(ev.map((e) => e.kind)).toEqual(['expired']);
  expect(h.client.stats().outboxDepth).toBe(0);
}

describe('outbox TTL while not connected', () => {
  it('before connect() was ever called; no timer armed before the publish nor left after it', async () => {
    const h = setup({ autoConnect: false });
    expect(h.clock.pending()).toBe(0);
    await expiresAtTtl(h);
    expect(h.clock.pending()).toBe(0);
  });

  it('after close() (publishing queues for a later connect)', async () => {
    const h = setup();
    h.accept();
    const closed = h.client.close();
    h.sock.serverClose(1000);
    await closed;
    expect(h.client.state).toBe('closed');
    expect(h.clock.pending()).toBe(0);
    await expiresAtTtl(h);
    expect(h.clock.pending()).toBe(0);
  });

  it('closed after maxAttempts', async () => {
    const h = setup({ reconnect: { maxAttempts: 1, jitter: 'none', initialDelayMs: 10 } });
    h.sock.serverClose(1006);
    h.clock.advance(10);
    h.sock.serverClose(1006);
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason: 'max-attempts', retryInMs: null });
    await expiresAtTtl(h);
  });

  it('closed after a rejected token', async () => {
    const h = setup({ token: 'bad' });
    h.sock.open();
    h.sock.serverClose(4100, 'bad token');
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason: 'auth-failed' });
    await expiresAtTtl(h);
  });

  it('closed with a retry scheduled far away (1 h Retry-After)', async () => {
    const h = setup();
    h.sock.serverClose(1013, 'overloaded; retry-after-ms=3600000');
    expect(h.client.getSnapshot().retryInMs).toBeGreaterThan(3_000_000);
    await expiresAtTtl(h);
  });

  it('expires each message at its own TTL, the shorter one first whatever the publish order', async () => {
    const h = setup({ autoConnect: false, outbox: { ttlMs: 5000 } });
    const long = settle(h.client.publish('c', 1, { ttlMs: 9000 }));
    const def = settle(h.client.publish('c', 2));
    const short = settle(h.client.publish('c', 3, { ttlMs: 1500 }));
    h.clock.advance(1500);
    await flushPromises();
    expect([long.done, def.done, short.done]).toEqual([false, false, true]);
    h.clock.advance(3500);
    await flushPromises();
    expect([long.done, def.done]).toEqual([false, true]);
    h.clock.advance(4000);
    await flushPromises();
    expect(isLifelineError(long.error, 'OUTBOX_EXPIRED')).toBe(true);
    expect(h.clock.pending()).toBe(0);
  });

  it('arms nothing for publishes that never expire (default TTL), nor once the queue is sent', async () => {
    const h = setup({ autoConnect: false });
    settle(h.client.publish('c', 1));
    expect(h.clock.pending()).toBe(0);
    const h2 = setup({ autoConnect: false, outbox: { ttlMs: 5000 } });
    settle(h2.client.publish('c', 1));
    expect(h2.clock.pending()).toBe(1);
    h2.client.connect();
    const base = h2.clock.pending(); // ticker + handshake timeout + the TTL
    h2.accept(); // sent: past TTL's reach, so its timer goes
    expect(h2.clock.pending()).toBe(base - 2); // handshake timeout and TTL timer gone
    expect(h2.sock.frames('pub').length).toBe(1);
  });

  it('an expired message leaves the ones behind it queued and in order for the next connect', async () => {
    const h = setup({ autoConnect: false });
    const a = settle(h.client.publish('c', 'a', { ttlMs: 1000 }));
    const b = settle(h.client.publish('c', 'b'));
    const c = settle(h.client.publish('c', 'c', { ttlMs: 10_000 }));
    h.clock.advance(1000);
    await flushPromises();
    expect([a.done, b.done, c.done]).toEqual([true, false, false]);
    h.client.connect();
    h.accept();
    expect(h.sock.frames('pub').map((f) => f.data)).toEqual(['b', 'c']);
  });
});

describe('outbox TTL when the wall clock steps back', () => {
  /** now() is a manual clock plus a skew: Date.now() stepping back while timers keep running. */
  function steppedSetup() {
    const base = createManualClock(10_000_000);
    let skew = 0;
    // Timers capped the way hosts (and systemClock) cap them: 2^31 - 1 ms at most.
    const setTimeout = (cb: () => void, ms: number) => base.setTimeout(cb, Math.min(ms, 2 ** 31 - 1));
    const h = setup({ autoConnect: false, clock: { now: () => base.now() + skew, setTimeout, clearTimeout: base.clearTimeout } });
    return { h, base, step: (ms: number) => void (skew += ms) };
  }

  it('expires a queued publish at its TTL in real time, not an hour later', async () => {
    const { h, base, step } = steppedSetup();
    const p = settle(h.client.publish('c', 1, { ttlMs: 2000 }));
    step(-3_600_000);
    base.advance(1999);
    await flushPromises();
    expect(p.done).toBe(false);
    base.advance(1);
    await flushPromises();
    expect(isLifelineError(p.error, 'OUTBOX_EXPIRED')).toBe(true);
  });

  it('moves the later deadlines back too, each expiring at its own TTL', async () => {
    const { h, base, step } = steppedSetup();
    const a = settle(h.client.publish('c', 'a', { ttlMs: 1000 }));
    const b = settle(h.client.publish('c', 'b', { ttlMs: 5000 }));
    const c = settle(h.client.publish('c', 'c'));
    step(-600_000);
    base.advance(1000);
    await flushPromises();
    expect([a.done, b.done]).toEqual([true, false]);
    base.advance(3999);
    await flushPromises();
    expect(b.done).toBe(false);
    base.advance(1);
    await flushPromises();
    expect(isLifelineError(b.error, 'OUTBOX_EXPIRED')).toBe(true);
    expect(c.done).toBe(false); // no TTL: never expires
  });

  it('a TTL beyond the longest timer hosts keep (~24.8 days) is not cut short by the capped timer', async () => {
    const { h, base } = steppedSetup();
    const p = settle(h.client.publish('c', 1, { ttlMs: 30 * 86_400_000 }));
    base.advance(2 ** 31 - 1); // the capped timer fires; the wall clock agrees with it
    await flushPromises();
    expect(p.done).toBe(false);
    base.advance(30 * 86_400_000 - (2 ** 31 - 1));
    await flushPromises();
    expect(isLifelineError(p.error, 'OUTBOX_EXPIRED')).toBe(true);
  });
});
