import { describe, expect, it } from 'vitest';
import { inBatches } from '../src/inBatches';

describe('inBatches', () => {
  it('handles every item in order and lets other tasks run between batches', async () => {
    const seen: number[] = [];
    const interleaved: number[] = [];
    const items = Array.from({ length: 10 }, (_, i) => i);
    // A task queued before the loop starts runs at the first yield, after the first batch.
    setImmediate(() => interleaved.push(seen.length));
    await inBatches(items, (i) => seen.push(i), 4);
    expect(seen).toEqual(items);
    expect(interleaved).toEqual([4]);
  });

  it('does not yield when everything fits in one batch', async () => {
    let ranBetween = false;
    setImmediate(() => (ranBetween = true));
    const p = inBatches([1, 2, 3], () => undefined, 4);
    await p;
    expect(ranBetween).toBe(false);
  });
});
