// An async handler still on E#2 when the connection drops: the reconnect's `sub` goes out from
// the position, E#1. The handler finishes E#2 before the answer, which says `recovered: false`
// (out of retention) with the retained tail starting right after E#2. Nothing was lost: a gap
// from E#2 to E#2 covers nothing, and stopped node workers whose onGap is 'stop'. (Found by
// epochReturnModel once its sequences ran longer.)
import { expect, it } from 'vitest';
import type { GapEvent, Message } from '../src';
import { flushPromises, setup } from './support/harness';

function start() {
  const h = setup({ reconnect: { jitter: 'none' as const, initialDelayMs: 10 } });
  h.accept();
  const ch = h.client.channel('room');
  const got: string[] = [];
  const gaps: GapEvent[] = [];
  let finish!: () => void;
  ch.on('gap', (g) => gaps.push(g));
  ch.subscribe((m: Message) => {
    got.push(`${m.epoch}#${m.offset}`);
    if (m.offset === 2) return new Promise<void>((r) => (finish = r));
  });
  const sub = () => h.sock.frames('sub').at(-1);
  h.sock.push({ type: 'subscribed', ref: sub().ref, channel: 'room', offset: 0, epoch: 'E' });
  h.msg('room', 1, 'E');
  h.msg('room', 2, 'E'); // in hand
  h.sock.serverClose(1006);
  h.clock.advance(1000);
  h.accept();
  expect(sub().since).toEqual({ offset: 1, epoch: 'E' });
  return { h, ch, got, gaps, sub, done: async () => (finish(), await flushPromises()) };
}

it('a tail starting right after the message an async handler finished while the sub was in flight is no gap', async () => {
  const { h, ch, got, gaps, sub, done } = start();
  await done();
  expect(ch.position).toEqual({ offset: 2, epoch: 'E' });
  h.sock.push({ type: 'subscribed', ref: sub().ref, channel: 'room', offset: 4, epoch: 'E', recovered: false, reason: 'out-of-retention', replay: 2 });
  h.msg('room', 3, 'E');
  h.msg('room', 4, 'E');
  expect(gaps).toEqual([]);
  expect(got).toEqual(['E#1', 'E#2', 'E#3', 'E#4']);
  expect(ch.position).toEqual({ offset: 4, epoch: 'E' });
});

it('a tail starting later is a gap from that message, as before', async () => {
  const { h, ch, got, gaps, sub, done } = start();
  await done();
  h.sock.push({ type: 'subscribed', ref: sub().ref, channel: 'room', offset: 6, epoch: 'E', recovered: false, reason: 'out-of-retention', replay: 2 });
  h.msg('room', 5, 'E');
  h.msg('room', 6, 'E');
  expect(gaps.map((g) => [g.from, g.to, g.reason])).toEqual([[{ offset: 2, epoch: 'E' }, { offset: 4, epoch: 'E' }, 'out-of-retention']]);
  expect(got).toEqual(['E#1', 'E#2', 'E#5', 'E#6']);
  expect(ch.position).toEqual({ offset: 6, epoch: 'E' });
});
