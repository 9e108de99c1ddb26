// A client moved E -> F -> E (servers of different memory brokers) while an async handler
// stays on E#5 the whole time. F answers `recovered: false` with a retained tail, which is
// buffered behind E#5 and dropped by the next move: never handed. Back on E the channel asks
// again from where it was there, and E#6, E#7 follow. Both losses wait for E#5 to settle;
// joined as one (from E#5 to E#5, its end mixing F's and E's offsets), F's tail was never
// said: nothing, or an empty gap that stopped node workers whose onGap is 'stop'. Said as
// the non-busy path says them: E -> F, then F -> E.
import { describe, expect, it } from 'vitest';
import { flushPromises } from './support/harness';
import { movingRoom } from './support/movingRoom';

function start(fail = false) {
  let finish!: () => void;
  const room = movingRoom((m) => {
    if (m.epoch === 'E' && m.offset === 5) return new Promise<void>((r, j) => (finish = () => (fail ? j(new Error('no')) : r())));
  });
  const { ch, lastSub, answer, move, msgs } = room;
  const errors: unknown[] = [];
  ch.on('error', (e) => errors.push(e));
  /** Busy on E#5, moved to F (tail F#head-replay+1..head, buffered), then back to E (head 7). */
  const roundTrip = (head: number, replay: number) => {
    answer({ offset: 0, epoch: 'E' });
    msgs('E', 1, 5);
    move();
    answer({ offset: head, epoch: 'F', recovered: false, reason: 'epoch-changed', replay });
    msgs('F', head - replay + 1, head);
    move();
    answer({ offset: 7, epoch: 'E', recovered: false, reason: 'epoch-changed', replay: 7 });
    msgs('E', 1, 7); // ignored: the channel asks again from where it was in E
    expect(lastSub().since).toEqual({ offset: 5, epoch: 'E' });
    answer({ offset: 7, epoch: 'E', recovered: true, replay: 2 });
    msgs('E', 6, 7);
  };
  return { ...room, errors, roundTrip, done: async () => (finish(), await flushPromises()) };
}

const gap = (from: [number, string], to: [number, string]) => ({
  channel: 'room',
  from: { offset: from[0], epoch: from[1] },
  to: { offset: to[0], epoch: to[1] },
  reason: 'epoch-changed',
});
const E1to7 = ['E#1', 'E#2', 'E#3', 'E#4', 'E#5', 'E#6', 'E#7'];

describe('an async handler busy across a move away from an epoch and back', () => {
  it("F's tail (F#11..20, never handed) is said: E#5 -> F#10, then F#10 -> E#5, once E#5 is done", async () => {
    const { ch, got, gaps, roundTrip, done } = start();
    roundTrip(20, 10);
    expect(gaps).toEqual([]); // said when E#5 settles: whether it was had is not known before
    await done();
    expect(got).toEqual(E1to7);
    expect(gaps).toEqual([gap([5, 'E'], [10, 'F']), gap([10, 'F'], [5, 'E'])]);
    expect(ch.position).toEqual({ offset: 7, epoch: 'E' });
    expect(ch.getSnapshot().lastGap).toEqual(gaps[1]);
  });

  it("a tail from F's first offset (it started lower than E#5) is no empty E#5 -> E#5 gap", async () => {
    const { ch, got, gaps, roundTrip, done } = start();
    roundTrip(10, 10);
    await done();
    expect(got).toEqual(E1to7);
    expect(gaps).toEqual([gap([5, 'E'], [0, 'F']), gap([0, 'F'], [5, 'E'])]);
    expect(ch.position).toEqual({ offset: 7, epoch: 'E' });
  });

  it('a handler failing on E#5 is said in the first gap (from E#4): the return to E starts after it', async () => {
    const { h, ch, got, gaps, errors, roundTrip, done } = start(true);
    h.client.on('error', () => {});
    roundTrip(20, 10);
    await done();
    expect(errors).toHaveLength(1);
    expect(got).toEqual(E1to7);
    expect(gaps).toEqual([gap([4, 'E'], [10, 'F']), gap([10, 'F'], [5, 'E'])]);
    expect(ch.position).toEqual({ offset: 7, epoch: 'E' });
  });

  it('E -> F -> G: one gap per epoch moved into, each from where the one before it ended', async () => {
    const { h, ch, got, gaps, done } = start();
    const answer = (a: Record<string, unknown>) => h.sock.push({ type: 'subscribed', ref: h.sock.frames('sub').at(-1).ref, channel: 'room', ...a });
    const move = () => {
      h.sock.serverClose(1006);
      h.clock.advance(1000);
      h.accept();
    };
    answer({ offset: 0, epoch: 'E' });
    for (let o = 1; o <= 5; o++) h.msg('room', o, 'E');
    move();
    answer({ offset: 4, epoch: 'F', recovered: false, reason: 'epoch-changed', replay: 2 });
    h.msg('room', 3, 'F');
    h.msg('room', 4, 'F');
    move();
    answer({ offset: 3, epoch: 'G', recovered: false, reason: 'epoch-changed', replay: 1 });
    h.msg('room', 3, 'G');
    await done();
    expect(got).toEqual(['E#1', 'E#2', 'E#3', 'E#4', 'E#5', 'G#3']);
    expect(gaps).toEqual([gap([5, 'E'], [2, 'F']), gap([2, 'F'], [2, 'G'])]);
    expect(ch.position).toEqual({ offset: 3, epoch: 'G' });
  });
});
