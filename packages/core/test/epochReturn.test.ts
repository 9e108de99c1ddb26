// A client moved between servers backed by different brokers (epoch E, then F, then E
// again: a misconfigured fleet of memory brokers) keeps one position per channel. Back on
// E the server answers `recovered: false` (the client's `since` is of F) and replays E's
// retained tail, which the channel had handed out before it left: it must not be handed
// again. The channel remembers where it was in the last 4 epochs it left.
import { describe, expect, it } from 'vitest';
import type { Message } from '../src';
import { flushPromises } from './support/harness';
import { movingRoom } from './support/movingRoom';

function start(handler?: (m: Message) => unknown) {
  const room = movingRoom(handler);
  const { answer, move, msgs } = room;
  /** Moved to a server of epoch `epoch` whose log holds 1..head (all retained). */
  const moveTo = (epoch: string, head: number) => {
    move();
    const f = answer({ offset: head, epoch, recovered: false, reason: 'epoch-changed', replay: head });
    msgs(epoch, 1, head);
    return f;
  };
  return { ...room, moveTo };
}

const gap = (from: [number, string], to: [number, string]) => ({
  channel: 'room',
  from: { offset: from[0], epoch: from[1] },
  to: { offset: to[0], epoch: to[1] },
  reason: 'epoch-changed',
});

describe('coming back to an epoch the channel left', () => {
  it('E -> F -> E: what it had of E is not handed again; the gap ends where it was in E, and the rest of E is asked for from there', () => {
    const { h, ch, got, gaps, lastSub, answer, move, msgs, moveTo } = start();
    answer({ offset: 0, epoch: 'E' });
    msgs('E', 1, 5);
    moveTo('F', 3);
    move();
    const back = answer({ offset: 7, epoch: 'E', recovered: false, reason: 'epoch-changed', replay: 7 });
    expect(back.since).toEqual({ offset: 3, epoch: 'F' });
    // The tail of that answer (E#1..7) is ignored: a sub from where it was in E went out.
    msgs('E', 1, 7);
    const again = lastSub();
    expect(again.ref).not.toBe(back.ref);
    expect(again.since).toEqual({ offset: 5, epoch: 'E' });
    expect(again.limit).toBeUndefined();
    expect(ch.getSnapshot().state).toBe('subscribing');
    answer({ offset: 7, epoch: 'E', recovered: true, replay: 2 });
    msgs('E', 6, 8); // 6, 7 replayed, 8 live
    expect(got).toEqual(['E#1', 'E#2', 'E#3', 'E#4', 'E#5', 'F#1', 'F#2', 'F#3', 'E#6', 'E#7', 'E#8']);
    expect(gaps).toEqual([gap([5, 'E'], [0, 'F']), gap([3, 'F'], [5, 'E'])]);
    expect(ch.position).toEqual({ offset: 8, epoch: 'E' });
    expect(ch.getSnapshot().state).toBe('subscribed');
    // The next reconnect subscribes from the position, as always.
    move();
    expect(lastSub().since).toEqual({ offset: 8, epoch: 'E' });
  });

  it('the message an async handler was on when the channel left counts as had', async () => {
    let finish!: () => void;
    const { got, gaps, lastSub, answer, move, msgs } = start((m) => (m.epoch === 'E' && m.offset === 5 ? new Promise<void>((r) => (finish = r)) : undefined));
    answer({ offset: 0, epoch: 'E' });
    msgs('E', 1, 5); // handler busy on E#5, position E#4
    move();
    answer({ offset: 1, epoch: 'F', recovered: false, reason: 'epoch-changed', replay: 1 });
    msgs('F', 1, 1);
    finish();
    await flushPromises();
    move();
    answer({ offset: 6, epoch: 'E', recovered: false, reason: 'epoch-changed', replay: 6 });
    msgs('E', 1, 6);
    expect(lastSub().since).toEqual({ offset: 5, epoch: 'E' });
    answer({ offset: 6, epoch: 'E', recovered: true, replay: 1 });
    msgs('E', 6, 6);
    expect(got).toEqual(['E#1', 'E#2', 'E#3', 'E#4', 'E#5', 'F#1', 'E#6']);
    expect(gaps).toEqual([gap([5, 'E'], [0, 'F']), gap([1, 'F'], [5, 'E'])]);
  });

  it('coming back while an async handler is on a message of the epoch between: said when it is done, then the rest of E', async () => {
    let finish!: () => void;
    const { got, gaps, lastSub, answer, move, msgs } = start((m) => (m.epoch === 'F' ? new Promise<void>((r) => (finish = r)) : undefined));
    answer({ offset: 0, epoch: 'E' });
    msgs('E', 1, 3);
    move();
    answer({ offset: 1, epoch: 'F', recovered: false, reason: 'epoch-changed', replay: 1 });
    msgs('F', 1, 1); // busy on F#1
    move();
    answer({ offset: 5, epoch: 'E', recovered: false, reason: 'epoch-changed', replay: 5 });
    msgs('E', 1, 5);
    expect(lastSub().since).toEqual({ offset: 3, epoch: 'E' });
    answer({ offset: 5, epoch: 'E', recovered: true, replay: 2 });
    msgs('E', 4, 5);
    expect(got).toEqual(['E#1', 'E#2', 'E#3', 'F#1']);
    finish();
    await flushPromises();
    expect(got).toEqual(['E#1', 'E#2', 'E#3', 'F#1', 'E#4', 'E#5']);
    expect(gaps).toEqual([gap([3, 'E'], [0, 'F']), gap([1, 'F'], [3, 'E'])]);
  });

  it('E trimmed past where the channel was: the gap ends before the retained tail as usual, which is delivered without asking again', () => {
    const { got, gaps, lastSub, answer, move, msgs, moveTo } = start();
    answer({ offset: 0, epoch: 'E' });
    msgs('E', 1, 2);
    moveTo('F', 1);
    move();
    const back = answer({ offset: 9, epoch: 'E', recovered: false, reason: 'epoch-changed', replay: 3 });
    msgs('E', 7, 9);
    expect(lastSub().ref).toBe(back.ref);
    expect(got).toEqual(['E#1', 'E#2', 'F#1', 'E#7', 'E#8', 'E#9']);
    expect(gaps).toEqual([gap([2, 'E'], [0, 'F']), gap([1, 'F'], [6, 'E'])]);
  });

  it('a paged answer (more) is asked again from where it was in E a page at a time', () => {
    const { lastSub, answer, move, msgs, moveTo } = start();
    answer({ offset: 0, epoch: 'E' });
    msgs('E', 1, 5);
    moveTo('F', 1);
    move();
    answer({ offset: 1000, epoch: 'E', recovered: false, reason: 'epoch-changed', replay: 1000, more: true });
    expect(lastSub()).toMatchObject({ since: { offset: 5, epoch: 'E' }, limit: 1000 });
  });

  it("where it was in E is past E's head now (E lost writes): the server says so, and the loss is said", () => {
    const { got, gaps, answer, move, msgs, moveTo } = start();
    answer({ offset: 0, epoch: 'E' });
    msgs('E', 1, 5);
    moveTo('F', 1);
    move();
    answer({ offset: 3, epoch: 'E', recovered: false, reason: 'epoch-changed', replay: 3 });
    msgs('E', 1, 3);
    answer({ offset: 3, epoch: 'E', recovered: false, reason: 'out-of-retention' });
    msgs('E', 4, 4); // a new message at an offset handed out before the loss
    expect(got).toEqual(['E#1', 'E#2', 'E#3', 'E#4', 'E#5', 'F#1', 'E#4']);
    expect(gaps.slice(1)).toEqual([gap([1, 'F'], [5, 'E']), { ...gap([5, 'E'], [3, 'E']), reason: 'out-of-retention' }]);
  });

  it('remembers the last 4 epochs it left: after 4 others it still knows E; a fifth pushes E out (bounded memory)', () => {
    for (const between of [['A', 'B', 'C', 'D'], ['A', 'B', 'C', 'D', 'G']]) {
      const { got, answer, msgs, moveTo, lastSub } = start();
      answer({ offset: 0, epoch: 'E' });
      msgs('E', 1, 2);
      for (const e of between) moveTo(e, 1);
      got.length = 0;
      const back = moveTo('E', 2);
      if (between.length === 4) {
        expect(lastSub().since).toEqual({ offset: 2, epoch: 'E' });
        expect(got).toEqual([]);
      } else {
        // Forgotten: E's tail is a new history to the channel (the gap says from where).
        expect(lastSub().ref).toBe(back.ref);
        expect(got).toEqual(['E#1', 'E#2']);
      }
    }
  });

  it('bouncing between two epochs many times hands every message once', () => {
    const { got, answer, move, msgs } = start();
    answer({ offset: 0, epoch: 'E' });
    const heads: Record<string, number> = { E: 0, F: 0 };
    let epoch = 'E';
    for (let i = 0; i < 20; i++) {
      heads[epoch]! += 1;
      msgs(epoch, heads[epoch]!, heads[epoch]!);
      epoch = epoch === 'E' ? 'F' : 'E';
      move();
      const head = ++heads[epoch]!; // one published there while away
      answer({ offset: head, epoch, recovered: false, reason: 'epoch-changed', replay: head });
      msgs(epoch, 1, head);
      const f = answer({ offset: head, epoch, recovered: true, replay: 1 });
      if (f.since?.epoch === epoch) msgs(epoch, f.since.offset + 1, head);
    }
    expect(new Set(got).size).toBe(got.length);
    expect(got.length).toBe(heads.E! + heads.F!);
  });
});
