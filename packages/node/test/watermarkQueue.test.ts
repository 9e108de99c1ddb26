import { describe, expect, it } from 'vitest';
import { WatermarkQueue } from '../src/boundedQueue';
import { AckTracker } from '../src/ackTracker';
import { isLifelineNodeError } from '../src/errors';

describe('WatermarkQueue', () => {
  it('signals high at the high-water mark on every push while high, and low once at the low-water mark', () => {
    const events: string[] = [];
    const q = new WatermarkQueue<number>({
      highWaterMark: 4,
      lowWaterMark: 1,
      onHigh: () => events.push(`high@${q.length}`),
      onLow: () => events.push(`low@${q.length}`),
    });
    for (let i = 0; i < 5; i++) q.push(i);
    expect(events).toEqual(['high@4', 'high@5']);
    expect([q.shift(), q.shift(), q.shift()]).toEqual([0, 1, 2]);
    expect(events).toEqual(['high@4', 'high@5']);
    expect(q.shift()).toBe(3);
    expect(events).toEqual(['high@4', 'high@5', 'low@1']);
    expect(q.shift()).toBe(4);
    expect(q.shift()).toBeUndefined();
    expect(q.peak).toBe(5);
  });

  it('keeps FIFO order across internal compaction', () => {
    const q = new WatermarkQueue<number>({ highWaterMark: 10_000, lowWaterMark: 0, onHigh() {}, onLow() {} });
    const out: number[] = [];
    for (let i = 0; i < 5000; i++) {
      q.push(i);
      if (i % 3 === 0) out.push(q.shift()!);
    }
    out.push(...q.drainAll());
    expect(out).toEqual(Array.from({ length: 5000 }, (_, i) => i));
  });

  it('rejects inconsistent watermarks with a typed error', () => {
    const make = (h: number, l: number) => () =>
      new WatermarkQueue({ highWaterMark: h, lowWaterMark: l, onHigh() {}, onLow() {} });
    for (const [h, l] of [[0, 0], [4, 4], [4, -1], [Number.NaN, 0]] as const) {
      try {
        make(h, l)();
        expect.unreachable(`accepted ${h}/${l}`);
      } catch (e) {
        expect(isLifelineNodeError(e, 'BAD_OPTION')).toBe(true);
      }
    }
  });
});

describe('AckTracker', () => {
  it('moves the acknowledged position only over a contiguous acked prefix', () => {
    const t = new AckTracker<string>({ offset: 10, epoch: 'e' });
    const a = t.deliver({ offset: 11, epoch: 'e' }, 'a');
    const b = t.deliver({ offset: 12, epoch: 'e' }, 'b');
    const c = t.deliver({ offset: 13, epoch: 'e' }, 'c');
    expect(t.ack(b)).toBe(false);
    expect(t.position).toEqual({ offset: 10, epoch: 'e' });
    expect(t.ack(a)).toBe(true);
    expect(t.position).toEqual({ offset: 12, epoch: 'e' });
    expect(t.ackedSeq).toBe(b);
    expect(t.ack(a)).toBe(false); // idempotent
    expect(t.outstanding).toBe(1);
    expect(t.takePending()).toEqual([{ item: 'c', acked: false }]);
    expect(c).toBe(3);
  });
});
