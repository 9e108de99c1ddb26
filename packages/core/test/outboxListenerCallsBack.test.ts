// An `outbox` listener runs in the middle of the outbox's own loops (expiry, sending);
// publishing or closing from it must leave the outbox consistent: every publish sent
// once, in publish order, or failed; no TTL timer after close().
import { describe, expect, it } from 'vitest';
import type { OutboxEvent } from '../src';
import { flushPromises, setup } from './support/harness';

describe('an outbox listener calling back', () => {
  it('re-publishing what expired (while disconnected): each sent once, in publish order, on the next connection', async () => {
    const h = setup({ autoConnect: false });
    const settled: string[] = [];
    const track = (p: Promise<unknown>, name: string) => void p.then(() => settled.push(`${name} ok`), (e) => settled.push(`${name} ${e.code}`));
    track(h.client.publish('room', 'a', { ttlMs: 100 }), 'a');
    track(h.client.publish('room', 'b', { ttlMs: 100 }), 'b');
    track(h.client.publish('room', 'c'), 'c');
    const again: string[] = [];
    h.client.on('outbox', (e: OutboxEvent) => {
      if (e.kind !== 'expired') return;
      again.push(`${e.id}'`);
      track(h.client.publish('room', `${e.id}'`), `${e.id}'`);
    });
    h.clock.advance(100);
    h.client.connect();
    const s = h.accept();
    await flushPromises();
    expect(again).toHaveLength(2);
    expect(settled.slice(0, 2).sort()).toEqual(['a OUTBOX_EXPIRED', 'b OUTBOX_EXPIRED'].sort());
    expect(s.frames('pub').map((f) => f.data)).toEqual(['c', ...again]);
  });

  it('close() on a message refused as too large while sending: the rest fails, no timer left', async () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 10 } });
    h.accept({ limits: { maxFrameBytes: 20_000, maxChannels: 100, publishPerSec: 100, publishBurst: 200 } });
    h.sock.serverClose(1006); // queue while disconnected
    const big = h.client.publish('room', 'x'.repeat(10_000));
    const next = h.client.publish('room', 1);
    let closing: Promise<void> | undefined;
    h.client.on('outbox', () => (closing ??= h.client.close()));
    h.clock.advance(10);
    // The next welcome has a smaller limit: the big one is refused while sending.
    h.accept({ limits: { maxFrameBytes: 1_000, maxChannels: 100, publishPerSec: 100, publishBurst: 200 } });
    await expect(big).rejects.toMatchObject({ code: 'MESSAGE_TOO_LARGE' });
    await expect(next).rejects.toMatchObject({ code: 'CLIENT_CLOSED' });
    expect(h.sock.frames('pub')).toEqual([]);
    h.sock.serverClose(1000);
    await closing;
    expect(h.clock.pending()).toBe(0);
  });
});
