// An async handler fails on the message in hand while a `sub` is already in flight (a hole
// on the live stream asked for a replay from the position, that message included). The
// failure dropped that sub's answer and asked again after its backoff, without `limit`:
// the server sent the whole replay twice, the second time unpaged however long the
// backlog (found by deliveryModel.test.ts with MODEL_STRICT_COST=1, seed 624064080: a
// `replayAgain` of 1002 messages). The answer in flight redelivers the message: it is used.
import { describe, expect, it } from 'vitest';
import { flushPromises, setup } from './support/harness';

describe('a handler failure while a sub is in flight', () => {
  it('the sub in flight redelivers the failed message: no second sub, nothing sent twice', async () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 100 } });
    h.accept();
    const ch = h.client.channel('room');
    ch.on('error', () => {});
    const got: number[] = [];
    let fail = true;
    let end: (() => void) | null = null;
    ch.subscribe(
      (m) =>
        new Promise<void>((resolve, reject) => {
          got.push(m.offset);
          end = () => {
            if (m.offset === 1 && fail) (fail = false), reject(new Error('transient'));
            else resolve();
          };
        }),
    );
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    h.msg('room', 1); // in hand
    h.msg('room', 3); // 2 lost on the way: a hole, asked for from the position (0)
    const subs = h.sock.frames('sub');
    expect(subs).toHaveLength(2);
    expect(subs[1].since).toEqual({ offset: 0, epoch: 'e1' });
    end!(); // fails on 1
    await flushPromises();
    h.sock.push({ type: 'subscribed', ref: subs[1].ref, channel: 'room', epoch: 'e1', offset: 3, recovered: true, replay: 3 });
    for (const o of [1, 2, 3]) h.msg('room', o);
    for (let i = 0; i < 3; i++) {
      end!();
      await flushPromises();
    }
    h.clock.advance(10_000);
    expect(h.sock.frames('sub')).toHaveLength(2);
    expect(got).toEqual([1, 1, 2, 3]);
    expect(ch.position).toEqual({ offset: 3, epoch: 'e1' });
    expect(ch.getSnapshot().state).toBe('subscribed');
    h.msg('room', 4);
    expect(got.at(-1)).toBe(4);
  });
});
