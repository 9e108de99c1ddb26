import type { GapEvent } from '@lifeline/core';
import { describe, expect, it } from 'vitest';
import { useReferenceServer, waitFor } from './helpers';

const t = useReferenceServer();

describe('a slow async handler catches up a page at a time (PROTOCOL §5, sub limit)', () => {
  it('a 5,000-message backlog: the server sends each message about once more at most, and each is handled once, in order', async () => {
    const total = 5_000;
    const server = await t.start({ publishPerSec: 100_000, publishBurst: 100_000, retention: 10_000 });
    const url = `${server.url}/v1`;
    const sub = t.client(url);
    const pub = t.client(url);
    const ch = sub.channel<number>('backlog');
    const seen: number[] = [];
    const gaps: GapEvent[] = [];
    ch.on('gap', (g) => gaps.push(g));
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    ch.subscribe(async (m) => {
      seen.push(m.data);
      if (m.data === 1) await held; // stuck while the backlog arrives: the buffer overflows
      else await new Promise((r) => setImmediate(r));
    });
    await waitFor(() => ch.getSnapshot().state === 'subscribed', 'subscribed');
    // In batches: the outbox holds 1,000 by default.
    for (let from = 1; from <= total; from += 500) {
      await Promise.all(Array.from({ length: 500 }, (_, i) => pub.publish('backlog', from + i)));
    }
    await waitFor(() => server.stats().framesOut.msg! >= total, 'the backlog sent live');
    release();
    await waitFor(() => ch.position?.offset === total, 'the last message handled', 25_000);
    await pub.publish('backlog', total + 1); // live again after the catch-up
    await waitFor(() => ch.position?.offset === total + 1, 'a live message after it');
    expect(seen).toEqual(Array.from({ length: total + 1 }, (_, i) => i + 1));
    expect(gaps).toEqual([]);
    // Live once (5,000, of which 1,001 were kept), then the 3,999 left out, in pages. The
    // whole rest again on each overflow sent 3,999 + 2,999 + 1,999 + 999 more (~3x).
    const sent = server.stats().framesOut.msg!;
    expect(sent).toBeLessThanOrEqual(2 * (total + 1));
  });
});
