// recovered: false followed by the retained tail of the log (PROTOCOL §5): the last
// `replay` messages up to the reply's head. The gap ends just before the tail, and the tail
// is delivered: jumping to the head skipped messages the server still had (everything
// published after a memory broker restarted, before this subscriber came back).
import { describe, expect, it } from 'vitest';
import type { GapEvent, Message } from '../src';
import { flushPromises, setup } from './support/harness';

const opts = { reconnect: { jitter: 'none' as const, initialDelayMs: 10 } };

/** Subscribed on e1, handed e1#1, then the connection drops and a new one is welcomed. */
function afterReconnect(handler?: (m: Message) => unknown) {
  const h = setup(opts);
  h.accept();
  const ch = h.client.channel('room');
  const got: string[] = [];
  const gaps: GapEvent[] = [];
  ch.on('gap', (g) => gaps.push(g));
  ch.subscribe((m) => (got.push(`${m.epoch}#${m.offset}`), handler?.(m)) as void);
  h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
  h.msg('room', 1);
  h.sock.serverClose(1006);
  h.clock.advance(10);
  h.accept();
  return { h, ch, got, gaps };
}

describe('recovered: false with the retained tail', () => {
  it('epoch changed: the gap ends before the tail, then the tail and live messages are delivered once, in order', () => {
    const { h, got, gaps } = afterReconnect();
    h.answerSubs({ room: { offset: 3, epoch: 'e2', recovered: false, reason: 'epoch-changed', replay: 3 } });
    for (const o of [1, 2, 3, 3, 4]) h.msg('room', o, 'e2');
    expect(gaps).toEqual([{ channel: 'room', from: { offset: 1, epoch: 'e1' }, to: { offset: 0, epoch: 'e2' }, reason: 'epoch-changed' }]);
    expect(got).toEqual(['e1#1', 'e2#1', 'e2#2', 'e2#3', 'e2#4']);
    expect(h.client.stats()).toMatchObject({ replayed: 3, deduped: 1, gaps: 1 });
  });

  it('out of retention: the gap ends before the earliest retained message', () => {
    const { h, got, gaps } = afterReconnect();
    h.answerSubs({ room: { offset: 9, epoch: 'e1', recovered: false, reason: 'out-of-retention', replay: 2 } });
    for (const o of [8, 9, 10]) h.msg('room', o);
    expect(gaps).toMatchObject([{ from: { offset: 1 }, to: { offset: 7, epoch: 'e1' }, reason: 'out-of-retention' }]);
    expect(got).toEqual(['e1#1', 'e1#8', 'e1#9', 'e1#10']);
  });

  it('without replay the gap still goes to the head (a server of an older revision)', () => {
    const { h, got, gaps } = afterReconnect();
    h.answerSubs({ room: { offset: 3, epoch: 'e2', recovered: false, reason: 'epoch-changed' } });
    for (const o of [1, 2, 3, 4]) h.msg('room', o, 'e2');
    expect(gaps).toMatchObject([{ to: { offset: 3, epoch: 'e2' } }]);
    expect(got).toEqual(['e1#1', 'e2#4']);
  });

  it('a replay that is no count is not taken for one: the gap ends at the head, or at 0 past it', () => {
    for (const [replay, to] of [['x', 3], [-2, 0], [1.5, 2], [99, 0]] as const) {
      const { h, gaps } = afterReconnect();
      h.answerSubs({ room: { offset: 3, epoch: 'e2', recovered: false, reason: 'epoch-changed', replay: replay as number } });
      expect(gaps.map((g) => g.to)).toEqual([{ offset: to, epoch: 'e2' }]);
      expect(Number.isInteger(gaps[0]!.to.offset)).toBe(true);
    }
  });

  it('while an async handler is on a message, a tail that starts right after it is no loss (no empty gap)', async () => {
    let finish!: () => void;
    const { h, got, gaps } = afterReconnect((m) => (m.offset === 2 ? new Promise<void>((r) => (finish = r)) : undefined));
    h.answerSubs({ room: { offset: 1, epoch: 'e1', recovered: true, replay: 0 } });
    h.msg('room', 2); // handler busy on 2, position 1
    h.sock.serverClose(1006);
    h.clock.advance(20);
    h.accept();
    // since {1}: the log now keeps 3..5 (2 trimmed), so since + 1 < earliest.
    h.answerSubs({ room: { offset: 5, epoch: 'e1', recovered: false, reason: 'out-of-retention', replay: 3 } });
    for (const o of [3, 4, 5]) h.msg('room', o);
    finish();
    await flushPromises();
    expect(got).toEqual(['e1#1', 'e1#2', 'e1#3', 'e1#4', 'e1#5']);
    expect(gaps).toEqual([]);
  });

  it('while an async handler is on a message that then fails, that message is the loss (it cannot come back)', async () => {
    let fail!: (e: Error) => void;
    const { h, gaps } = afterReconnect((m) => (m.offset === 2 ? new Promise<void>((_, r) => (fail = r)) : undefined));
    h.client.on('error', () => {});
    h.answerSubs({ room: { offset: 1, epoch: 'e1', recovered: true, replay: 0 } });
    h.msg('room', 2);
    h.sock.serverClose(1006);
    h.clock.advance(20);
    h.accept();
    h.answerSubs({ room: { offset: 5, epoch: 'e1', recovered: false, reason: 'out-of-retention', replay: 3 } });
    fail(new Error('db down'));
    await flushPromises();
    expect(gaps).toEqual([{ channel: 'room', from: { offset: 1, epoch: 'e1' }, to: { offset: 2, epoch: 'e1' }, reason: 'out-of-retention' }]);
  });

  it('while an async handler is on a message, the loss is said when it is done, ending before the tail', async () => {
    let finish!: () => void;
    const { h, got, gaps } = afterReconnect((m) => (m.offset === 2 && m.epoch === 'e1' ? new Promise<void>((r) => (finish = r)) : undefined));
    // Reconnected while e1#1 was handled; e1#2 arrives on the new connection before the answer is read.
    h.answerSubs({ room: { offset: 1, epoch: 'e1', recovered: true, replay: 0 } });
    h.msg('room', 2);
    h.sock.serverClose(1006);
    h.clock.advance(20);
    h.accept();
    h.answerSubs({ room: { offset: 2, epoch: 'e2', recovered: false, reason: 'epoch-changed', replay: 2 } });
    h.msg('room', 1, 'e2');
    h.msg('room', 2, 'e2');
    expect(gaps).toEqual([]); // said when the handler is done
    finish();
    await flushPromises();
    expect(gaps).toEqual([{ channel: 'room', from: { offset: 2, epoch: 'e1' }, to: { offset: 0, epoch: 'e2' }, reason: 'epoch-changed' }]);
    expect(got).toEqual(['e1#1', 'e1#2', 'e2#1', 'e2#2']);
  });
});
