// close() rejects what the outbox holds in publish order. It rejected the publishes in
// flight first and the queued ones after, so one refused with a retry hint (queued again)
// was rejected after later ones still in flight: an app re-publishing its CLIENT_CLOSED
// failures from their callbacks (the README's advice: same id, later) stored them out of
// order (found by a chaos soak over a flaky broker).
import { describe, expect, it } from 'vitest';
import { flushPromises, setup } from './support/harness';

describe('close() and the outbox', () => {
  it('rejects queued and in-flight publishes in publish order', async () => {
    const h = setup();
    const s = h.accept();
    const order: number[] = [];
    const ps = [1, 2, 3].map((n) => h.client.publish('c', n).catch(() => void order.push(n)));
    const p1 = s.frames('pub')[0];
    // 1 is refused with a hint: queued again behind nothing, while 2 and 3 are in flight.
    s.push({ type: 'error', code: 'RATE_LIMITED', message: 'slow down', ref: p1.ref, channel: 'c', retryAfterMs: 500 });
    await flushPromises();
    const closed = h.client.close();
    await Promise.all(ps);
    await flushPromises();
    expect(order).toEqual([1, 2, 3]);
    s.serverClose(1000);
    await closed;
  });
});
