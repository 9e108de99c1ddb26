// HighWaterMarks (redisHighWater.ts) on its own: the highest offset per epoch for a channel's
// last 8 epochs, compared against the answer's own epoch, with bounded memory.
import { describe, expect, it } from 'vitest';
import { HighWaterMarks, MAX_MARK_EPOCHS } from '../src/broker/redisHighWater';

describe('HighWaterMarks', () => {
  it('checks an answer against the mark of its own epoch, also an older one (a failback to A after B)', () => {
    const m = new HighWaterMarks();
    m.observe('ch', 'A', 10);
    m.observe('ch', 'A', 4); // lower observations never lower the mark
    m.observe('ch', 'B', 3);
    const before = m.before('ch');
    expect(HighWaterMarks.wentBack(before, 'A', 8, true)).toBe(10); // a publish acked A:8
    expect(HighWaterMarks.wentBack(before, 'A', 10, true)).toBe(10);
    expect(HighWaterMarks.wentBack(before, 'A', 11, true)).toBeUndefined();
    expect(HighWaterMarks.wentBack(before, 'A', 9, false)).toBe(10); // a read with head 9
    expect(HighWaterMarks.wentBack(before, 'A', 10, false)).toBeUndefined(); // a head may equal the mark
    expect(HighWaterMarks.wentBack(before, 'B', 3, true)).toBe(3);
    expect(HighWaterMarks.wentBack(before, 'C', 1, true)).toBeUndefined(); // never seen
    expect(HighWaterMarks.wentBack(m.before('other'), 'A', 1, true)).toBeUndefined();
  });

  it('before() is a copy: marks recorded while a command is in flight are not compared with its answer', () => {
    const m = new HighWaterMarks();
    m.observe('ch', 'A', 5);
    const before = m.before('ch');
    m.observe('ch', 'A', 9); // e.g. a notification that overtook this command's answer
    m.observe('ch', 'B', 2);
    expect(HighWaterMarks.wentBack(before, 'A', 7, true)).toBeUndefined();
    expect(HighWaterMarks.wentBack(before, 'B', 1, true)).toBeUndefined();
    expect(HighWaterMarks.wentBack(m.before('ch'), 'A', 7, true)).toBe(9);
  });

  it(`keeps the last ${MAX_MARK_EPOCHS} epochs seen per channel, forgetting the least recently seen`, () => {
    const m = new HighWaterMarks();
    m.observe('ch', 'A', 10);
    for (let i = 1; i < MAX_MARK_EPOCHS; i++) m.observe('ch', `E${i}`, 1);
    expect(m.before('ch')?.size).toBe(MAX_MARK_EPOCHS);
    expect(HighWaterMarks.wentBack(m.before('ch'), 'A', 8, true)).toBe(10); // A is the oldest kept
    m.observe('ch', 'A', 10); // seen again: now the most recent
    m.observe('ch', 'X', 1); // evicts E1, not A
    expect(m.before('ch')?.size).toBe(MAX_MARK_EPOCHS);
    expect(HighWaterMarks.wentBack(m.before('ch'), 'A', 8, true)).toBe(10);
    expect(m.before('ch')?.has('E1')).toBe(false);
  });

  it('keeps at most maxChannels channels, forgetting the least recently seen', () => {
    const m = new HighWaterMarks(2);
    m.observe('a', 'A', 1);
    m.observe('b', 'A', 1);
    m.observe('a', 'A', 2);
    m.observe('c', 'A', 1); // evicts b
    expect(m.before('b')).toBeUndefined();
    expect(m.before('a')?.get('A')).toBe(2);
    expect(m.before('c')?.get('A')).toBe(1);
  });
});
