// onHandlerError 'redeliver' with several handlers on one channel: the message comes
// back for the handler that failed, not for those that already handled it (they got it
// twice before: a duplicate, which the core promise rules out).
import { describe, expect, it } from 'vitest';
import type { GapEvent } from '../src';
import { flushPromises, setup } from './support/harness';

const lastSub = (h: ReturnType<typeof setup>) => h.sock.frames('sub').at(-1);

function twoHandlers() {
  const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 100 } });
  h.accept();
  const ch = h.client.channel('room');
  const errors: unknown[] = [];
  ch.on('error', (e) => errors.push(e));
  return { h, ch, errors };
}

/** Answers the re-subscription from `since` and replays `offsets`. */
function replay(h: ReturnType<typeof setup>, offsets: number[], epoch = 'e1') {
  const sub = lastSub(h);
  h.sock.push({ type: 'subscribed', ref: sub.ref, channel: 'room', epoch, offset: offsets.at(-1)!, recovered: true, replay: offsets.length });
  for (const o of offsets) h.msg('room', o, epoch);
}

describe('redelivery after a handler failed, with several handlers', () => {
  it('a sync handler that threw gets the message again; the one before it does not', () => {
    const { h, ch, errors } = twoHandlers();
    const a: number[] = [];
    const b: number[] = [];
    let fail = true;
    ch.subscribe((m) => void a.push(m.offset));
    ch.subscribe((m) => {
      if (m.offset === 2 && fail) {
        fail = false;
        throw new Error('transient');
      }
      b.push(m.offset);
    });
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    for (const o of [1, 2, 3]) h.msg('room', o);
    expect(errors).toHaveLength(1);
    expect(ch.position).toEqual({ offset: 1, epoch: 'e1' });
    h.clock.advance(100);
    expect(lastSub(h).since).toEqual({ offset: 1, epoch: 'e1' });
    replay(h, [2, 3]);
    expect(a).toEqual([1, 2, 3]);
    expect(b).toEqual([1, 2, 3]);
    expect(ch.position).toEqual({ offset: 3, epoch: 'e1' });
  });

  it('handlers after a throwing one still run for that message, once', () => {
    const { h, ch } = twoHandlers();
    const a: number[] = [];
    const b: number[] = [];
    let fail = true;
    ch.subscribe((m) => {
      if (m.offset === 2 && fail) {
        fail = false;
        throw new Error('transient');
      }
      a.push(m.offset);
    });
    ch.subscribe((m) => void b.push(m.offset));
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    h.msg('room', 1);
    h.msg('room', 2);
    // Every handler sees every message in the same order, whichever of them threw.
    expect(b).toEqual([1, 2]);
    h.clock.advance(100);
    replay(h, [2, 3]);
    expect(a).toEqual([1, 2, 3]);
    expect(b).toEqual([1, 2, 3]);
  });

  it('an async handler that rejected gets the message again; one that resolved does not', async () => {
    const { h, ch } = twoHandlers();
    const a: number[] = [];
    const b: number[] = [];
    let fail = true;
    ch.subscribe(async (m) => void a.push(m.offset));
    ch.subscribe(async (m) => {
      if (m.offset === 2 && fail) {
        fail = false;
        throw new Error('transient');
      }
      b.push(m.offset);
    });
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    for (const o of [1, 2, 3]) h.msg('room', o);
    await flushPromises();
    expect(ch.position).toEqual({ offset: 1, epoch: 'e1' });
    h.clock.advance(100);
    replay(h, [2, 3]);
    await flushPromises();
    expect(a).toEqual([1, 2, 3]);
    expect(b).toEqual([1, 2, 3]);
    expect(ch.position).toEqual({ offset: 3, epoch: 'e1' });
  });

  it('waits for every async handler before redelivering (no handler runs a message twice at once)', async () => {
    const { h, ch } = twoHandlers();
    const started: number[] = [];
    let release!: () => void;
    ch.subscribe((m) => {
      started.push(m.offset);
      if (m.offset === 1) return new Promise<void>((r) => (release = r));
    });
    let fail = true;
    ch.subscribe(async (m) => {
      if (fail) {
        fail = false;
        throw new Error('transient');
      }
    });
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    h.msg('room', 1);
    await flushPromises();
    const subs = h.sock.frames('sub').length;
    h.clock.advance(1000);
    // The failure is not acted on while the first handler still holds message 1.
    expect(h.sock.frames('sub').length).toBe(subs);
    release();
    await flushPromises();
    h.clock.advance(100);
    expect(h.sock.frames('sub').length).toBe(subs + 1);
    replay(h, [1]);
    await flushPromises();
    expect(started).toEqual([1]);
    expect(ch.position).toEqual({ offset: 1, epoch: 'e1' });
  });

  it('a handler added after the failure gets the redelivered message (it never had it)', () => {
    const { h, ch } = twoHandlers();
    const a: number[] = [];
    let fail = true;
    ch.subscribe((m) => void a.push(m.offset));
    ch.subscribe(() => {
      if (fail) {
        fail = false;
        throw new Error('transient');
      }
    });
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    h.msg('room', 1);
    const late: number[] = [];
    ch.subscribe((m) => void late.push(m.offset));
    h.clock.advance(100);
    replay(h, [1]);
    expect(a).toEqual([1]);
    expect(late).toEqual([1]);
  });

  it('the same offset in a new epoch is a new message: every handler gets it', () => {
    const { h, ch } = twoHandlers();
    const gaps: GapEvent[] = [];
    ch.on('gap', (g) => gaps.push(g));
    const a: string[] = [];
    let fail = true;
    ch.subscribe((m) => void a.push(`${m.epoch}:${m.offset}`));
    ch.subscribe(() => {
      if (fail) {
        fail = false;
        throw new Error('transient');
      }
    });
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    h.msg('room', 1);
    h.clock.advance(100);
    // The server lost its history: a gap, then offset 1 of the new epoch.
    h.sock.push({ type: 'subscribed', ref: lastSub(h).ref, channel: 'room', epoch: 'e2', offset: 0, recovered: false, reason: 'epoch-changed' });
    h.msg('room', 1, 'e2');
    expect(gaps.map((g) => g.reason)).toEqual(['epoch-changed']);
    expect(a).toEqual(['e1:1', 'e2:1']);
  });
});
