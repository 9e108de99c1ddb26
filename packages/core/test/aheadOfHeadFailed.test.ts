// As aheadOfHeadWhileBusy.test.ts (a store that lost acknowledged writes answers while an
// async handler is busy past the new head), but the handler fails on the message in hand.
// The loss was said (a gap back to the head) and the position went to the head; then the
// failure path (redeliver, or skip) finished the message as if it were of the current history
// and moved the position to its offset again: the messages the store put at the reused
// offsets were dropped as duplicates, after a gap that said delivery goes on from the head.
// Found by deliveryModel.test.ts.
import { describe, expect, it } from 'vitest';
import type { GapEvent } from '../src';
import { flushPromises, setup } from './support/harness';

describe.each(['redeliver', 'skip'] as const)('since ahead of the head while an async handler is busy, and it fails (%s)', (onHandlerError) => {
  it('the position stays at the head and the messages stored at the reused offsets are delivered', async () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 100 } });
    h.accept();
    const ch = h.client.channel('room', { onHandlerError });
    ch.on('error', () => {});
    const gaps: GapEvent[] = [];
    ch.on('gap', (g) => gaps.push(g));
    const seen: unknown[] = [];
    let fail!: () => void;
    ch.subscribe((m) => {
      seen.push(m.data);
      if (m.data === 'old6') return new Promise<void>((_, reject) => (fail = () => reject(new Error('x'))));
      return Promise.resolve();
    });
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    for (let o = 1; o <= 6; o++) {
      h.msg('room', o, 'e1', `old${o}`);
      await flushPromises();
    }
    expect(ch.position).toEqual({ offset: 5, epoch: 'e1' }); // 6 in hand
    // The server comes back from an older snapshot: its head in e1 is 2.
    h.sock.serverClose(1006);
    h.clock.advance(100);
    h.accept();
    h.answerSubs({ room: { offset: 2, epoch: 'e1', recovered: false, reason: 'out-of-retention' } });
    fail();
    await flushPromises();
    expect(gaps.map((g) => [g.from?.offset, g.to.offset, g.reason])).toEqual([[5, 2, 'out-of-retention']]);
    expect(ch.position).toEqual({ offset: 2, epoch: 'e1' });
    // New messages are stored at offsets 3..6.
    for (let o = 3; o <= 6; o++) {
      h.msg('room', o, 'e1', `new${o}`);
      await flushPromises();
    }
    expect(seen.slice(6)).toEqual(['new3', 'new4', 'new5', 'new6']);
    expect(ch.position).toEqual({ offset: 6, epoch: 'e1' });
    expect(gaps).toHaveLength(1);
  });
});
