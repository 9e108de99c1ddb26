// A store that lost writes it had acknowledged (PROTOCOL.md §5: a `since` ahead of
// the head in its epoch is answered recovered:false, out-of-retention, with no replay) while
// an async handler is busy with the message after the position. Not busy, the same answer is
// a gap back to the head (sinceAheadOfHead.test.ts). Busy, the loss was never said (the
// deferred gap was dropped as "nothing lost" because its end is behind the message in hand),
// the finished message moved the position ahead of the head again, and a second reconnect
// before the handler finished dropped the new messages stored at the reused offsets as
// duplicates.
import { describe, expect, it } from 'vitest';
import type { GapEvent } from '../src';
import { flushPromises, setup } from './support/harness';

async function busyAt6() {
  const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 100 } });
  h.accept();
  const ch = h.client.channel('room');
  const gaps: GapEvent[] = [];
  ch.on('gap', (g) => gaps.push(g));
  const seen: number[] = [];
  let release!: () => void;
  ch.subscribe((m) => {
    seen.push(m.offset);
    if (m.offset === 6) return new Promise<void>((r) => (release = r));
    return Promise.resolve();
  });
  h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
  for (let o = 1; o <= 6; o++) {
    h.msg('room', o);
    await flushPromises();
  }
  expect(ch.position).toEqual({ offset: 5, epoch: 'e1' }); // 6 in hand
  // The server comes back from an older snapshot: its head in e1 is 2.
  h.sock.serverClose(1006);
  h.clock.advance(100);
  h.accept();
  expect(h.sock.frames('sub').at(-1).since).toEqual({ offset: 5, epoch: 'e1' });
  h.answerSubs({ room: { offset: 2, epoch: 'e1', recovered: false, reason: 'out-of-retention' } });
  return { h, ch, gaps, seen, release: () => release() };
}

describe('since ahead of the head while an async handler is busy', () => {
  it('the loss is said once the handler is done, and the position stays at the head', async () => {
    const { h, ch, gaps, seen, release } = await busyAt6();
    release();
    await flushPromises();
    expect(gaps.map((g) => [g.from?.offset, g.to.offset, g.reason])).toEqual([[6, 2, 'out-of-retention']]);
    expect(ch.position).toEqual({ offset: 2, epoch: 'e1' });
    // The next message stored (offset 3 again) is delivered, and the position follows it.
    h.msg('room', 3);
    await flushPromises();
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 3]);
    expect(ch.position).toEqual({ offset: 3, epoch: 'e1' });
  });

  it('a second reconnect while still busy does not drop the messages stored since as duplicates', async () => {
    const { h, ch, gaps, seen, release } = await busyAt6();
    h.sock.serverClose(1006);
    h.clock.advance(100);
    h.accept();
    expect(h.sock.frames('sub').at(-1).since).toEqual({ offset: 2, epoch: 'e1' });
    // Two messages were stored meanwhile, at offsets 3 and 4: replayed from the position.
    h.answerSubs({ room: { offset: 4, epoch: 'e1', recovered: true, replay: 2 } });
    h.msg('room', 3);
    h.msg('room', 4);
    release();
    await flushPromises();
    await flushPromises();
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 3, 4]);
    expect(ch.position).toEqual({ offset: 4, epoch: 'e1' });
    expect(gaps).toHaveLength(1);
  });
});
