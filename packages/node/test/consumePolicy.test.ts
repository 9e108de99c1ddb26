import { describe, expect, it } from 'vitest';
import { createManualClock } from '@lifeline/core/testing';
import { consumeWith, retryDelayMs, type ConsumeOptions } from '../src/consume';
import { messages } from '../src/messageIterator';
import { memoryCheckpoint } from '../src/checkpoint/memoryCheckpoint';
import { isLifelineNodeError } from '../src/errors';
import { FakeChannel, waitFor } from './fixtures/fakeChannel';

function setup(options: ConsumeOptions<number>, handler: (offset: number, attempt: number) => void) {
  const ch = new FakeChannel<number>();
  const clock = createManualClock();
  const store = memoryCheckpoint();
  const ac = new AbortController();
  const attempts = new Map<number, number>();
  const it = messages(ch.asChannel(), { checkpoint: store, autoAck: false, signal: ac.signal });
  const run = consumeWith(
    it,
    (msg) => {
      const n = (attempts.get(msg.offset) ?? 0) + 1;
      attempts.set(msg.offset, n);
      handler(msg.offset, n);
    },
    { ...options, signal: ac.signal },
    clock,
  );
  return { ch, clock, store, ac, attempts, run };
}

describe('consume() error policies', () => {
  it('retries with capped exponential backoff on the injected clock, then succeeds and acknowledges', async () => {
    const delays: number[] = [];
    const { ch, clock, store, ac, attempts, run } = setup(
      { onError: { policy: 'retry', maxAttempts: 4, initialDelayMs: 100, factor: 3, maxDelayMs: 500 }, onRetry: (_m, i) => delays.push(i.delayMs) },
      (offset, attempt) => {
        if (offset === 1 && attempt < 4) throw new Error(`boom ${attempt}`);
      },
    );
    await waitFor(() => ch.handlers.length === 1);
    ch.emit(1, 1);
    ch.emit(2, 2);
    await waitFor(() => delays.length === 1);
    expect(attempts.get(2)).toBeUndefined(); // order: 2 waits behind 1
    clock.advance(99);
    await waitFor(() => true);
    expect(attempts.get(1)).toBe(1);
    clock.advance(1);
    await waitFor(() => delays.length === 2);
    clock.advance(300);
    await waitFor(() => delays.length === 3);
    clock.advance(500); // capped: 100, 300, 500 (not 900)
    await waitFor(() => store.saved.get('orders')?.offset === 2, 2000, 'both processed');
    expect(delays).toEqual([100, 300, 500]);
    expect(attempts.get(1)).toBe(4);
    ac.abort();
    await run;
  });

  it('stops with CONSUMER_STOPPED after the last attempt and leaves the message unacknowledged', async () => {
    const { ch, clock, store, run } = setup({ onError: { policy: 'retry', maxAttempts: 2, initialDelayMs: 10 } }, (offset) => {
      if (offset === 2) throw new Error('poison');
    });
    await waitFor(() => ch.handlers.length === 1);
    ch.emit(1, 1);
    ch.emit(2, 2);
    await waitFor(() => clock.pending() > 0);
    clock.advance(10);
    const error = await run.then(() => null, (e: unknown) => e);
    expect(isLifelineNodeError(error, 'CONSUMER_STOPPED')).toBe(true);
    expect((error as Error).cause).toEqual(new Error('poison'));
    expect(store.saved.get('orders')).toEqual({ offset: 1, epoch: 'e1' });
  });

  it('hands the message to the dead-letter callback, then acknowledges it and goes on', async () => {
    const dead: Array<{ offset: number; attempts: number }> = [];
    const { ch, store, ac, run } = setup(
      { onError: { policy: 'dead-letter' }, deadLetter: (m, info) => void dead.push({ offset: m.offset, attempts: info.attempts }) },
      (offset) => {
        if (offset === 2) throw new Error('poison');
      },
    );
    await waitFor(() => ch.handlers.length === 1);
    for (let i = 1; i <= 3; i++) ch.emit(i, i);
    await waitFor(() => store.saved.get('orders')?.offset === 3, 2000, 'all three handled');
    expect(dead).toEqual([{ offset: 2, attempts: 1 }]);
    ac.abort();
    await run;
  });

  it("'stop' stops at the first failure; a throwing dead-letter callback stops with DEAD_LETTER_FAILED", async () => {
    const a = setup({ onError: { policy: 'stop' } }, () => {
      throw new Error('x');
    });
    await waitFor(() => a.ch.handlers.length === 1);
    a.ch.emit(1, 1);
    expect(isLifelineNodeError(await a.run.catch((e: unknown) => e), 'CONSUMER_STOPPED')).toBe(true);
    expect(a.store.saved.size).toBe(0);

    const b = setup(
      {
        onError: { policy: 'retry', maxAttempts: 1, onExhausted: 'dead-letter' },
        deadLetter: () => {
          throw new Error('dlq down');
        },
      },
      () => {
        throw new Error('x');
      },
    );
    await waitFor(() => b.ch.handlers.length === 1);
    b.ch.emit(1, 1);
    expect(isLifelineNodeError(await b.run.catch((e: unknown) => e), 'DEAD_LETTER_FAILED')).toBe(true);
    expect(b.store.saved.size).toBe(0);
  });

  it('an abort during a retry wait ends consumption with the message unacknowledged', async () => {
    const { ch, clock, store, ac, run } = setup({ onError: { policy: 'retry', initialDelayMs: 1000 } }, () => {
      throw new Error('x');
    });
    await waitFor(() => ch.handlers.length === 1);
    ch.emit(1, 1);
    await waitFor(() => clock.pending() > 0);
    ac.abort();
    await run;
    expect(store.saved.size).toBe(0);
  });

  it('refuses a dead-letter policy without a callback (typed error, before consuming)', async () => {
    const ch = new FakeChannel<number>();
    const it = messages(ch.asChannel());
    const error = await consumeWith(it, () => {}, { onError: { policy: 'dead-letter' } }, createManualClock()).catch((e: unknown) => e);
    expect(isLifelineNodeError(error, 'BAD_OPTION')).toBe(true);
    expect(ch.subscribeCount).toBe(0);
  });

  it('computes documented backoff delays', () => {
    expect([1, 2, 3, 4, 10].map((n) => retryDelayMs(n, { policy: 'retry' }))).toEqual([100, 200, 400, 800, 10_000]);
  });
});
