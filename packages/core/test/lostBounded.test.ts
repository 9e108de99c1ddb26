// An async handler that never settles while the client keeps moving into other epochs (a
// memory broker restarting again and again, or a client moved E -> F -> E... between servers
// of different brokers): each loss was kept, one per epoch moved into, until the handler was
// done, so a stuck consumer's channel grew without bound. Now at most 4 are kept: from the
// fifth on, the newest merge into one `merged` gap that covers all of them (from where the
// fourth started to where the last ended), never dropped unsaid. The list is internal (and
// mangled in dist); what it holds is what the gaps say once the handler is done.
import { describe, expect, it } from 'vitest';
import type { GapEvent } from '../src';
import { flushPromises } from './support/harness';
import { movingRoom } from './support/movingRoom';

/** A room whose handler is on E#5 until `done()`. */
function stuckOnE5() {
  let finish!: () => void;
  const room = movingRoom((m) => {
    if (m.epoch === 'E' && m.offset === 5) return new Promise<void>((r) => (finish = r));
  });
  room.answer({ offset: 0, epoch: 'E' });
  room.msgs('E', 1, 5);
  return { ...room, done: async () => (finish(), await flushPromises()) };
}

const at = (g: GapEvent) => [`${g.from!.epoch}#${g.from!.offset}`, `${g.to.epoch}#${g.to.offset}`, g.reason];

describe('losses said while an async handler is stuck are bounded', () => {
  it('a broker restarting 1,000 times: 4 gaps once the handler is done, the last merging the 997 newest losses, chained, nothing unsaid', async () => {
    const { ch, got, gaps, move, answer, msgs, done } = stuckOnE5();
    for (let i = 1; i <= 1000; i++) {
      move();
      // Each restart: a new epoch, 3 messages, the last 2 retained (buffered, dropped by the next move).
      answer({ offset: 3, epoch: `R${i}`, recovered: false, reason: 'epoch-changed', replay: 2 });
      msgs(`R${i}`, 2, 3);
    }
    expect(gaps).toEqual([]);
    await done();
    expect(gaps.map(at)).toEqual([
      ['E#5', 'R1#1', 'epoch-changed'],
      ['R1#1', 'R2#1', 'epoch-changed'],
      ['R2#1', 'R3#1', 'epoch-changed'],
      // R3's tail (R3#2..3, never handed), R4..R999 whole, R1000 up to its tail.
      ['R3#1', 'R1000#1', 'merged'],
    ]);
    expect(got).toEqual(['E#1', 'E#2', 'E#3', 'E#4', 'E#5', 'R1000#2', 'R1000#3']);
    expect(ch.position).toEqual({ offset: 3, epoch: 'R1000' });
    expect(ch.getSnapshot().lastGap).toEqual(gaps[3]);
  });

  it('moved E -> F -> E ... 10 times: the merged gap ends where it started (E#5 to E#5 through F), said all the same', async () => {
    const { ch, got, gaps, move, answer, msgs, lastSub, done } = stuckOnE5();
    for (let i = 0; i < 5; i++) {
      move();
      answer({ offset: 20, epoch: 'F', recovered: false, reason: 'epoch-changed', replay: 10 });
      msgs('F', 11, 20);
      move();
      answer({ offset: 7, epoch: 'E', recovered: false, reason: 'epoch-changed', replay: 7 });
      msgs('E', 1, 7); // ignored: the channel asks again from where it was in E
      expect(lastSub().since).toEqual({ offset: 5, epoch: 'E' });
      answer({ offset: 7, epoch: 'E', recovered: true, replay: 2 });
      msgs('E', 6, 7);
    }
    await done();
    expect(gaps.map(at)).toEqual([
      ['E#5', 'F#10', 'epoch-changed'],
      ['F#10', 'E#5', 'epoch-changed'],
      ['E#5', 'F#10', 'epoch-changed'],
      ['F#10', 'E#5', 'merged'],
    ]);
    expect(got).toEqual(['E#1', 'E#2', 'E#3', 'E#4', 'E#5', 'E#6', 'E#7']);
    expect(ch.position).toEqual({ offset: 7, epoch: 'E' });
  });

  it('a loss in the same epoch after the merge joins it, still merged: to the latest head', async () => {
    const { gaps, move, answer, done } = stuckOnE5();
    for (let i = 1; i <= 5; i++) {
      move();
      answer({ offset: 3, epoch: `R${i}`, recovered: false, reason: 'epoch-changed' });
    }
    move();
    answer({ offset: 9, epoch: 'R5', recovered: false, reason: 'out-of-retention' });
    await done();
    expect(gaps.map(at)).toEqual([
      ['E#5', 'R1#3', 'epoch-changed'],
      ['R1#3', 'R2#3', 'epoch-changed'],
      ['R2#3', 'R3#3', 'epoch-changed'],
      ['R3#3', 'R5#9', 'merged'],
    ]);
  });

  it('4 losses are said one by one, as before: nothing merged below the bound', async () => {
    const { gaps, move, answer, done } = stuckOnE5();
    for (let i = 1; i <= 4; i++) {
      move();
      answer({ offset: 3, epoch: `R${i}`, recovered: false, reason: 'epoch-changed' });
    }
    await done();
    expect(gaps.map((g) => g.reason)).toEqual(['epoch-changed', 'epoch-changed', 'epoch-changed', 'epoch-changed']);
    expect(gaps.at(-1)!.to).toEqual({ offset: 3, epoch: 'R4' });
  });
});
