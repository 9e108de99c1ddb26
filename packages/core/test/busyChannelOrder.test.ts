// Found by review: an async handler busy on a message while the channel learns more
// (a lost history, a hole, a re-subscribe). What it learns is said in delivery order,
// and nothing of a new history is taken for a duplicate of the old message in hand.
import { describe, expect, it } from 'vitest';
import type { GapEvent } from '../src';
import { flushPromises, setup } from './support/harness';

function busyOnTwo() {
  const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 10, maxDelayMs: 10 } });
  h.accept();
  const ch = h.client.channel('room');
  const events: string[] = [];
  ch.on('gap', (g: GapEvent) => events.push(`gap ${g.from?.epoch}:${g.from?.offset}-${g.to.epoch}:${g.to.offset}`));
  let finish!: () => void;
  const handler = (m: { offset: number; epoch: string }) => {
    events.push(`${m.epoch}:${m.offset}`);
    if (m.offset === 2 && m.epoch === 'e1') return new Promise<void>((ok) => (finish = ok));
  };
  const off = ch.subscribe(handler);
  h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
  h.msg('room', 1);
  h.msg('room', 2);
  const reconnect = () => {
    h.sock.serverClose(1006);
    h.clock.advance(10);
    h.accept();
  };
  return { h, ch, events, handler, off, reconnect, finish: () => finish() };
}

describe('while an async handler is busy', () => {
  it('a replay of the new history after a lost one is delivered in full, not taken for duplicates of the old message', async () => {
    const t = busyOnTwo();
    t.reconnect();
    t.h.answerSubs({ room: { offset: 0, epoch: 'e2', recovered: false, reason: 'epoch-changed' } as never });
    t.reconnect();
    expect(t.h.sock.frames('sub').at(-1).since).toEqual({ offset: 0, epoch: 'e2' });
    t.h.answerSubs({ room: { offset: 3, epoch: 'e2', recovered: true, replay: 3 } as never });
    for (const o of [1, 2, 3]) t.h.msg('room', o, 'e2');
    t.finish();
    await flushPromises();
    expect(t.events).toEqual(['e1:1', 'e1:2', 'gap e1:2-e2:0', 'e2:1', 'e2:2', 'e2:3']);
    expect(t.h.client.stats().deduped).toBe(0);
  });

  it('... also when its only handler was unsubscribed and subscribed again meanwhile', async () => {
    const t = busyOnTwo();
    t.reconnect();
    t.h.answerSubs({ room: { offset: 0, epoch: 'e2', recovered: false, reason: 'epoch-changed' } as never });
    t.off();
    t.ch.subscribe(t.handler);
    t.h.answerSubs({ room: { offset: 2, epoch: 'e2', recovered: true, replay: 2 } as never });
    for (const o of [1, 2]) t.h.msg('room', o, 'e2');
    t.finish();
    await flushPromises();
    expect(t.events).toEqual(['e1:1', 'e1:2', 'gap e1:2-e2:0', 'e2:1', 'e2:2']);
  });

  it('a hole is said when delivery reaches it, after the messages buffered before it', async () => {
    const t = busyOnTwo();
    t.h.msg('room', 3);
    t.h.msg('room', 5); // a hole at 4: asked once
    t.h.answerSubs({ room: { offset: 5, epoch: 'e1', recovered: true, replay: 2 } as never });
    t.h.msg('room', 3); // the replay, from the position (1)... 2 is in hand, 3 buffered already
    t.h.msg('room', 5); // the server cannot fill 4 either
    expect(t.events).toEqual(['e1:1', 'e1:2']);
    t.finish();
    await flushPromises();
    expect(t.events).toEqual(['e1:1', 'e1:2', 'e1:3', 'gap e1:3-e1:4', 'e1:5']);
    expect(t.ch.position).toEqual({ offset: 5, epoch: 'e1' });
  });
});

describe('a message in hand with several handlers', () => {
  it('one that never settles and does not come back does not hold the channel when another does', async () => {
    const h = setup();
    h.accept();
    const ch = h.client.channel('room');
    const offA = ch.subscribe(() => new Promise<void>(() => {}));
    const b = (m: { offset: number }) => void seen.push(`b${m.offset}`);
    const seen: string[] = [];
    const offB = ch.subscribe(b);
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    h.msg('room', 1);
    offA();
    offB();
    ch.subscribe(b);
    ch.subscribe((m) => void seen.push(`c${m.offset}`));
    h.answerSubs({ room: { offset: 2, epoch: 'e1', recovered: true, replay: 2 } as never });
    h.msg('room', 1);
    h.msg('room', 2);
    await flushPromises();
    expect(seen.filter((s) => s.startsWith('c'))).toEqual(['c1', 'c2']);
    expect(ch.position).toEqual({ offset: 2, epoch: 'e1' });
  });
});
