import { describe, expect, it } from 'vitest';
import { attemptBins, burstStats } from '../src/metrics/bins';
import { percentileTime, reconnectTimes } from '../src/metrics/reconnectTimes';
import { analyzeDelivery, type PublishedRecord } from '../src/metrics/delivery';

describe('attempt bins and burstiness', () => {
  it('bins attempts per 100 ms from the fault, ignoring earlier ones', () => {
    expect(attemptBins([-5, 0, 99, 100, 250, 250], 0)).toEqual([2, 1, 2]);
    expect(attemptBins([1000, 1150], 1000, 50)).toEqual([1, 0, 0, 1]);
    expect(attemptBins([], 0)).toEqual([]);
  });

  it('takes the mean from the fault to the last attempt, over at least one second', () => {
    // a fixed delay followed by a stampede scores high
    const s = burstStats([0, 0, 0, 10, 0, 1, 0, 0, 0, 0, 0, 1], 100);
    expect(s.peak).toBe(10);
    expect(s.mean).toBeCloseTo(1); // 12 / 12 bins
    expect(s.peakToMean).toBeCloseTo(10);
    expect(s.peakOverCapacity).toBeCloseTo(1); // 100/s → 10 per 100 ms bin
    // trailing empty bins (after the last attempt) do not count
    expect(burstStats([...Array(12).fill(4), 0, 0], null).mean).toBe(4);
  });

  it('a perfectly flat wave has peak-to-mean 1; no attempts gives no ratio (null)', () => {
    expect(burstStats(Array(10).fill(5), null)).toEqual({ peak: 5, mean: 5, peakToMean: 1, peakOverCapacity: null, peakPerSec: 50 });
    expect(burstStats([0, 0], 10)).toEqual({ peak: 0, mean: 0, peakToMean: null, peakOverCapacity: null, peakPerSec: 0 }); // no wave: no ratio against capacity either
  });

  it('a stampede into one bin is the burstiest wave, not a flat one', () => {
    // every client back within the first 100 ms: the old mean (over that one bin) called it 1.0
    const s = burstStats([1000], null);
    expect(s.peakToMean).toBe(10); // 1000 ÷ (1000 over one second)
    expect(s.peakPerSec).toBe(10_000);
    // the same stampede a little later is no flatter
    expect(burstStats([0, 0, 1000], null).peakToMean).toBe(10);
  });

  it('an even spread over a second or more scores ~1, with its absolute rate', () => {
    const s = burstStats(Array(20).fill(50), 1000);
    expect(s.peakToMean).toBe(1);
    expect(s.peakPerSec).toBe(500);
    expect(s.peakOverCapacity).toBe(0.5);
    expect(burstStats([49, 51, 50, 50, 52, 48, 50, 50, 50, 50], null).peakToMean).toBeCloseTo(1.04);
  });

  it('an even wave shorter than a second is not called flat', () => {
    // 1000 attempts spread evenly over 500 ms: twice the rate of the same fleet over a second
    const s = burstStats(Array(5).fill(200), null);
    expect(s.peakToMean).toBe(2);
    expect(s.peakPerSec).toBe(2000);
    // with 50 ms bins a second is 20 bins
    expect(burstStats(Array(10).fill(100), null, 50).peakToMean).toBe(2);
  });
});

describe('reconnect time percentiles', () => {
  it('uses nearest rank and treats never-back clients as missing', () => {
    const times = Array.from({ length: 100 }, (_, i) => (i + 1) * 10);
    expect(percentileTime(times, 50)).toBe(500);
    expect(percentileTime(times, 99)).toBe(990);
    expect(percentileTime(times, 100)).toBe(1000);
    expect(reconnectTimes([0, 20, null, 10])).toEqual({ t50Ms: 10, t99Ms: null, t100Ms: null, notBack: 1 });
  });
});

describe('delivery analysis', () => {
  const pub = (n: number, epoch = 'e1', start = 1): PublishedRecord[] =>
    Array.from({ length: n }, (_, i) => ({ seq: start + i, epoch, offset: start + i }));
  const seqs = (...s: number[]) => s.map((seq) => ({ seq }));

  it('a complete in-order delivery is 0 / 0 / 0', () => {
    expect(analyzeDelivery(pub(3), seqs(1, 2, 3), [])).toEqual({
      expected: 3, delivered: 3, lost: 0, duplicated: 0, reordered: 0, gaps: 0, gapped: 0, unexpected: 0, unrecovered: 0, undelivered: 0,
    });
  });

  it('counts lost, duplicated and reordered separately', () => {
    const r = analyzeDelivery(pub(5), seqs(1, 3, 2, 3, 5), []);
    expect(r).toMatchObject({ lost: 1, duplicated: 1, reordered: 1, gapped: 0 });
  });

  it('messages inside an announced gap are explicit, not lost', () => {
    const r = analyzeDelivery(pub(6), seqs(1, 2, 5, 6), [{ from: { epoch: 'e1', offset: 2 }, to: { epoch: 'e1', offset: 4 } }]);
    expect(r).toMatchObject({ lost: 0, gapped: 2, gaps: 1 });
  });

  it('a gap across epochs covers the old tail, skipped epochs and the new head', () => {
    const published = [...pub(3, 'e1'), ...pub(2, 'e2'), ...pub(3, 'e3')].map((p, i) => ({ ...p, seq: i + 1 }));
    // client saw e1:1, then jumped to e3 at offset 1 (seq 6), then received the rest
    const r = analyzeDelivery(published, seqs(1, 7, 8), [{ from: { epoch: 'e1', offset: 1 }, to: { epoch: 'e3', offset: 1 } }]);
    expect(r).toMatchObject({ lost: 0, gapped: 5 });
    // without the gap the same delivery is 5 lost
    expect(analyzeDelivery(published, seqs(1, 7, 8), []).lost).toBe(5);
  });

  it('a gap does not excuse messages after its end', () => {
    const r = analyzeDelivery(pub(5), seqs(1), [{ from: { epoch: 'e1', offset: 1 }, to: { epoch: 'e1', offset: 3 } }]);
    expect(r).toMatchObject({ lost: 2, gapped: 2 });
  });

  it('a client that recovered and still misses messages lost them (the SDK broke its promise)', () => {
    expect(analyzeDelivery(pub(5), seqs(1, 2), [])).toMatchObject({ lost: 3, undelivered: 0, unrecovered: 0 });
    expect(analyzeDelivery(pub(5), seqs(1, 2), [], { recovered: true })).toMatchObject({ lost: 3, undelivered: 0 });
  });

  it('messages after the last delivery to a client that never came back are undelivered, not lost', () => {
    expect(analyzeDelivery(pub(5), seqs(1, 2), [], { recovered: false })).toEqual({
      expected: 5, delivered: 2, lost: 0, duplicated: 0, reordered: 0, gaps: 0, gapped: 0, unexpected: 0, unrecovered: 1, undelivered: 3,
    });
    // it never got anything: all of it undelivered
    expect(analyzeDelivery(pub(3), [], [], { recovered: false })).toMatchObject({ lost: 0, undelivered: 3, unrecovered: 1 });
  });

  it('a hole inside what a client not back did receive is still lost', () => {
    // it got 1 and 3 (so it was connected past 2), then dropped for good
    expect(analyzeDelivery(pub(5), seqs(1, 3), [], { recovered: false })).toMatchObject({ lost: 1, undelivered: 2 });
  });

  it('an announced gap covers a client not back too (explicit before undelivered)', () => {
    const r = analyzeDelivery(pub(5), seqs(1), [{ from: { epoch: 'e1', offset: 1 }, to: { epoch: 'e1', offset: 3 } }], { recovered: false });
    expect(r).toMatchObject({ lost: 0, gapped: 2, undelivered: 2 });
  });

  it('deliveries nobody published are flagged', () => {
    expect(analyzeDelivery(pub(1), seqs(1, 99), []).unexpected).toBe(1);
  });
});
