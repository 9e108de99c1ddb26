// A malformed `subscribed` (offset or epoch missing or wrong) answering the pending `sub`:
// reported as BAD_FRAME and dropped, the sub then waited the whole ack timeout (30 s) with
// the channel 'subscribing' and its messages ignored, though nothing else would answer it.
// It is the connection's protocol violation, handled as the ack timeout handles a sub with
// no answer, only at once: torn down (4202), and the reconnect subscribes again.
import { describe, expect, it } from 'vitest';
import { isLifelineError, type LifelineError } from '../src';
import { setup } from './support/harness';

const opts = { reconnect: { jitter: 'none' as const, initialDelayMs: 500 } };

function subscribing() {
  const h = setup(opts);
  const s = h.accept();
  const ch = h.client.channel('room');
  const got: number[] = [];
  const chErrors: LifelineError[] = [];
  ch.on('error', (e) => chErrors.push(e));
  ch.subscribe((m) => void got.push(m.offset));
  return { h, s, ch, got, chErrors, ref: s.frames('sub')[0].ref as number };
}

describe('a malformed subscribed answering the pending sub', () => {
  it.each([
    ['no offset', { epoch: 'e1' }],
    ['no epoch', { offset: 0 }],
    ['offset 1.5', { offset: 1.5, epoch: 'e1' }],
    ['presence not a list', { offset: 0, epoch: 'e1', presence: 'x' }],
  ])('(%s): BAD_FRAME on the channel and the client, the connection torn down at once, the reconnect subscribes', (_, bad) => {
    const t = subscribing();
    t.s.push({ type: 'subscribed', ref: t.ref, channel: 'room', ...bad });
    // No clock advance: not after the ack timeout.
    expect(t.h.states.at(-1)).toMatchObject({ to: 'closed', reason: 'bad-frame', closeCode: 4202, retryInMs: 500 });
    expect(t.s.terminated).toBe(true);
    expect(t.h.errors.map((e) => [e.code, e.channel])).toEqual([['BAD_FRAME', 'room']]);
    expect(t.chErrors).toHaveLength(1);
    expect(isLifelineError(t.chErrors[0], 'BAD_FRAME')).toBe(true);
    expect(t.ch.getSnapshot().state).toBe('subscribing');
    t.h.clock.advance(500);
    const s2 = t.h.accept();
    expect(s2.frames('sub')).toMatchObject([{ channel: 'room' }]);
    t.h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    expect(t.ch.getSnapshot().state).toBe('subscribed');
    t.h.msg('room', 1);
    expect(t.got).toEqual([1]);
    expect(t.ch.position).toEqual({ offset: 1, epoch: 'e1' });
  });

  it('again on every connection: the delay grows (closes in a row after a welcome), no loop at the first delay', () => {
    const t = subscribing();
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      const s = t.h.sock;
      s.push({ type: 'subscribed', ref: s.frames('sub')[0].ref, channel: 'room', epoch: 'e1' });
      const d = t.h.client.getSnapshot().retryInMs!;
      delays.push(d);
      t.h.clock.advance(d);
      t.h.accept();
    }
    expect(delays).toEqual([500, 1000, 2000, 4000]);
  });

  it('a malformed subscribed for no pending sub (a stale ref, another channel) is only BAD_FRAME: the connection carries on', () => {
    const t = subscribing();
    t.s.push({ type: 'subscribed', ref: t.ref + 100, channel: 'room', epoch: 'e1' });
    t.s.push({ type: 'subscribed', ref: t.ref, channel: 'elsewhere', epoch: 'e1' });
    expect(t.h.errors.map((e) => e.code)).toEqual(['BAD_FRAME', 'BAD_FRAME']);
    expect(t.h.client.state).toBe('open');
    t.s.push({ type: 'subscribed', ref: t.ref, channel: 'room', offset: 0, epoch: 'e1' });
    t.s.push({ type: 'subscribed', ref: t.ref, channel: 'room', epoch: 'e1' }); // answered already
    expect(t.h.client.state).toBe('open');
    t.h.msg('room', 1);
    expect(t.got).toEqual([1]);
  });

  it('an error listener calling close() on it: the client stays closed, no retry', async () => {
    const t = subscribing();
    t.h.client.on('error', () => void t.h.client.close());
    t.s.push({ type: 'subscribed', ref: t.ref, channel: 'room', offset: -1, epoch: 'e1' });
    await Promise.resolve();
    expect(t.h.client.getSnapshot()).toMatchObject({ state: 'closed', retryInMs: null });
    t.h.clock.advance(60_000);
    expect(t.h.sockets).toHaveLength(1);
  });
});
