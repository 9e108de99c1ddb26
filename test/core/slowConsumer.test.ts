import type { GapEvent } from '@lifeline/core';
import { describe, expect, it } from 'vitest';
import { useReferenceServer, waitFor } from './helpers';

const t = useReferenceServer();

describe('a slow async handler against the reference server', () => {
  it('a burst past the 1,000-message buffer, then live traffic while it catches up: every message once, in order, no gap', async () => {
    const server = await t.start({ publishPerSec: 100_000, publishBurst: 100_000 });
    const url = `${server.url}/v1`;
    const sub = t.client(url);
    const pub = t.client(url);
    const ch = sub.channel<number>('burst');
    const seen: number[] = [];
    const gaps: GapEvent[] = [];
    ch.on('gap', (g) => gaps.push(g));
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    ch.subscribe(async (m) => {
      seen.push(m.data);
      if (m.data === 1) await held; // the consumer is stuck while the burst arrives
      else await new Promise((r) => setImmediate(r)); // slow enough for live frames to land mid-drain
    });
    await waitFor(() => ch.getSnapshot().state === 'subscribed', 'subscribed');
    const burst = 1_500;
    // In batches: the outbox holds 1,000 by default.
    for (let from = 1; from <= burst; from += 500) {
      await Promise.all(Array.from({ length: 500 }, (_, i) => pub.publish('burst', from + i)));
    }
    await waitFor(() => sub.stats().received >= 1_001, 'the buffer to fill');
    release();
    // Live messages while the buffer drains and the rest is replayed.
    for (let i = burst + 1; i <= burst + 20; i++) await pub.publish('burst', i);
    await waitFor(() => ch.position?.offset === burst + 20, 'the last message handled');
    expect(seen).toEqual(Array.from({ length: burst + 20 }, (_, i) => i + 1));
    expect(gaps).toEqual([]);
    expect(ch.position?.offset).toBe(burst + 20);
  });
});
