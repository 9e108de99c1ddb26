// The block's bookkeeping on its own: what it waits for next, the retry hint it gives,
// and how much it remembers.
import { describe, expect, it } from 'vitest';
import { BLOCKED_RETRY_MAX_MS, BLOCKED_RETRY_MIN_MS, BLOCK_GRACE_MS, MAX_BLOCKED_IDS, PublishBlock } from '../src/session/publishBlock';

/** The ids a block waits for, in turn, until it is over. */
function drain(b: PublishBlock, now = 0): string[] {
  const ids = [b.id];
  while (b.next(now)) ids.push(b.id);
  return ids;
}

describe('PublishBlock', () => {
  it('waits for the publishes refused behind it in the order they were refused, each once', () => {
    const b = new PublishBlock('p5', 'RATE_LIMITED', 5);
    for (const id of ['p6', 'p7', 'p6', 'p5', 'p8', 'p7']) b.refuseBehind(id, 5);
    expect(drain(b)).toEqual(['p5', 'p6', 'p7', 'p8']);
  });

  it('does not wait again for an id it is done with', () => {
    const b = new PublishBlock('p5', 'RATE_LIMITED', 5);
    b.refuseBehind('p6', 5);
    expect(b.next(10)).toBe(true);
    b.refuseBehind('p5', 20); // a second copy of the stored p5
    expect(b.next(30)).toBe(false);
  });

  it('retry hint: until the blocked publish is due, then from the least, doubling with how long it is overdue, up to the most', () => {
    const b = new PublishBlock('p5', 'RATE_LIMITED', 1000);
    expect(b.retryAfterMs(400)).toBe(600);
    expect(b.retryAfterMs(1000)).toBe(BLOCKED_RETRY_MIN_MS);
    expect(b.retryAfterMs(1000 + BLOCKED_RETRY_MIN_MS)).toBe(BLOCKED_RETRY_MIN_MS);
    expect(b.retryAfterMs(1000 + 300)).toBe(300); // told at 1300 to come back at 1600: twice as long overdue
    expect(b.retryAfterMs(1000 + 4999)).toBe(BLOCKED_RETRY_MAX_MS);
  });

  it('the next one in line is due when it was told to come back, or at once', () => {
    const b = new PublishBlock('p5', 'RATE_LIMITED', 1000);
    b.refuseBehind('p6', 1500 + b.retryAfterMs(1500)); // refused 500 overdue: back at 2000
    b.refuseBehind('p7', 1005);
    expect(b.next(1600)).toBe(true);
    expect(b.retryAt).toBe(2000);
    expect(b.retryAfterMs(1600)).toBe(400);
    expect(b.next(1700)).toBe(true);
    expect(b.retryAt).toBe(1700);
    expect(b.lapsed(1700 + BLOCK_GRACE_MS - 1)).toBe(false);
    expect(b.lapsed(1700 + BLOCK_GRACE_MS)).toBe(true);
  });

  it('a lapse gives up on the awaited publish only: the next one in line is awaited, due when it was told to come back', () => {
    const b = new PublishBlock('a', 'RATE_LIMITED', 1000);
    b.refuseBehind('b', 1000 + BLOCK_GRACE_MS - 500); // still being re-sent: last told to come back 500 before a lapses
    b.refuseBehind('c', 1000 + BLOCK_GRACE_MS);
    expect(b.dropLapsed(1000 + BLOCK_GRACE_MS - 1)).toBe(true);
    expect(b.id).toBe('a');
    expect(b.dropLapsed(1000 + BLOCK_GRACE_MS)).toBe(true);
    expect([b.id, b.retryAt]).toEqual(['b', 1000 + BLOCK_GRACE_MS - 500]);
    expect(b.retryAfterMs(1000 + BLOCK_GRACE_MS)).toBe(500); // the usual hint, from b's own due time
    expect(b.gaveUpOn('a')).toBe(true);
    expect(b.gaveUpOn('b')).toBe(false);
    b.refuseBehind('a', 7000); // back late: not waited for again
    expect(drain(b, 7000)).toEqual(['b', 'c']);
  });

  it('publishes in line that lapsed by then are given up on at once; when none is left the block is over', () => {
    const b = new PublishBlock('a', 'BROKER_UNAVAILABLE', 0);
    b.refuseBehind('b', 10);
    b.refuseBehind('c', 20);
    b.refuseBehind('d', 3000);
    expect(b.dropLapsed(20 + BLOCK_GRACE_MS)).toBe(true);
    expect(b.id).toBe('d');
    expect(['a', 'b', 'c', 'd'].map((id) => b.gaveUpOn(id))).toEqual([true, true, true, false]);
    expect(b.dropLapsed(3000 + BLOCK_GRACE_MS - 1)).toBe(true);
    expect(b.dropLapsed(3000 + BLOCK_GRACE_MS)).toBe(false);
  });

  it(`remembers at most ${MAX_BLOCKED_IDS} ids refused behind it; those it knows keep their place`, () => {
    const b = new PublishBlock('head', 'BROKER_UNAVAILABLE', 0);
    for (let i = 0; i < MAX_BLOCKED_IDS + 5; i++) b.refuseBehind(`p${i}`, 0);
    b.refuseBehind('p0', 0);
    const ids = drain(b);
    expect(ids).toHaveLength(1 + MAX_BLOCKED_IDS);
    expect(ids.slice(0, 3)).toEqual(['head', 'p0', 'p1']);
    expect(ids.at(-1)).toBe(`p${MAX_BLOCKED_IDS - 1}`);
  });
});
