import { describe, expect, it } from 'vitest';
import type { GapEvent } from '@lifeline/core';
import { messages } from '../src/messageIterator';
import { memoryCheckpoint } from '../src/checkpoint/memoryCheckpoint';
import { isLifelineNodeError } from '../src/errors';
import { FakeChannel, waitFor } from './fixtures/fakeChannel';

/** Lets every pending microtask and checkpoint write of the memory store run. */
const settle = () => new Promise((r) => setTimeout(r, 0));

/**
 * An iteration (autoAck off) handed message 1, took an accepted gap to 50 behind it, and
 * ended with 1 still unacknowledged.
 */
async function endedWithGapBehindUnacked() {
  const ch = new FakeChannel<number>();
  const store = memoryCheckpoint();
  const gaps: GapEvent[] = [];
  const onGap = (g: GapEvent) => void gaps.push(g);
  const it = messages(ch.asChannel(), { checkpoint: store, autoAck: false, maxUncommitted: 4, onGap });
  const first = it.next();
  await waitFor(() => ch.handlers.length === 1);
  ch.emit(1, 1);
  ch.emitGap({ offset: 50, epoch: 'e1' }, 'out-of-retention');
  const m1 = (await first).value!;
  const waiting = it.next(); // takes the gap, then waits
  await waitFor(() => gaps.length === 1);
  await settle();
  await it.return();
  await waiting;
  return { ch, store, gaps, onGap, m1 };
}

describe('an accepted gap in the commit sequence', () => {
  it('is committed (gap.to) only once every message handed out before it is acknowledged', async () => {
    const ch = new FakeChannel<number>();
    const store = memoryCheckpoint();
    const it = messages(ch.asChannel(), { checkpoint: store, autoAck: false, maxUncommitted: 4, onGap: 'continue' });
    const first = it.next();
    await waitFor(() => ch.handlers.length === 1);
    ch.emit(1, 1);
    ch.emit(2, 2);
    ch.emitGap({ offset: 99, epoch: 'e2' }, 'out-of-retention');
    const m1 = (await first).value!;
    const m2 = (await it.next()).value!;
    // The loop takes the gap and waits for a message after it.
    const third = it.next();
    await settle();
    m2.ack();
    await settle();
    // 1 is still being processed: neither 2 nor the gap may be committed.
    expect(store.saved.get('orders')).toBeUndefined();
    m1.ack();
    await waitFor(() => store.saved.get('orders')?.offset === 99, 2000, 'checkpoint at gap.to');
    expect(store.saved.get('orders')).toEqual({ offset: 99, epoch: 'e2' });
    ch.emit(100, 100, 'e2');
    const m100 = (await third).value!;
    expect(m100.offset).toBe(100);
    m100.ack();
    await waitFor(() => store.saved.get('orders')?.offset === 100, 2000, 'checkpoint at 100');
    await it.return();
  });

  it('with autoAck, a gap taken while no message follows moves the checkpoint to gap.to (a quiet period)', async () => {
    for (const onGap of ['continue', () => {}] as const) {
      const ch = new FakeChannel<number>();
      const store = memoryCheckpoint();
      const it = messages(ch.asChannel(), { checkpoint: store, onGap });
      const first = it.next();
      await waitFor(() => ch.handlers.length === 1);
      ch.emit(1, 1);
      expect((await first).value!.offset).toBe(1);
      const next = it.next(); // acknowledges 1, then takes the gap and waits
      ch.emitGap({ offset: 40, epoch: 'e1' }, 'out-of-retention');
      await waitFor(() => store.saved.get('orders')?.offset === 40, 2000, 'checkpoint at gap.to');
      await it.return();
      expect(await next).toEqual({ done: true, value: undefined });
      expect(store.saved.get('orders')).toEqual({ offset: 40, epoch: 'e1' });
    }
  });

  it("is not moved past by 'stop': checkpoint before the gap, and the next iteration in the process is told the gap again", async () => {
    const ch = new FakeChannel<number>();
    const store = memoryCheckpoint();
    const first = messages(ch.asChannel(), { checkpoint: store });
    const p = first.next();
    await waitFor(() => ch.handlers.length === 1);
    ch.emit(1, 1);
    ch.emitGap({ offset: 99, epoch: 'e2' });
    ch.emit(100, 100, 'e2');
    expect((await p).value!.offset).toBe(1);
    const error = await first.next().then(() => null, (e: unknown) => e);
    expect(isLifelineNodeError(error, 'GAP')).toBe(true);
    expect(store.saved.get('orders')).toEqual({ offset: 1, epoch: 'e1' });

    // Same process, same channel, default policy again: the gap is not forgotten (it was,
    // and 100 was handed out and committed past it without a word).
    const second = messages(ch.asChannel(), { checkpoint: store });
    const again = await second.next().then(() => null, (e: unknown) => e);
    expect(isLifelineNodeError(again, 'GAP')).toBe(true);
    expect(store.saved.get('orders')).toEqual({ offset: 1, epoch: 'e1' });

    // Accepting it then goes on after it.
    const third = messages(ch.asChannel(), { checkpoint: store, onGap: 'continue' });
    const m100 = (await third.next()).value!;
    expect(m100.offset).toBe(100);
    m100.ack();
    await waitFor(() => store.saved.get('orders')?.offset === 100, 2000, 'checkpoint at 100');
    await third.return();
  });

  it('left behind an unacknowledged message by an ended iteration: committed through by the late ack, and the callback is not called again', async () => {
    const { ch, store, gaps, onGap, m1 } = await endedWithGapBehindUnacked();
    expect(store.saved.get('orders')).toBeUndefined();

    // A pool task finishing after the loop ended: the prefix 1, gap is complete.
    m1.ack();
    await waitFor(() => store.saved.get('orders')?.offset === 50, 2000, 'checkpoint at gap.to');

    // Nothing of it is handed out or reported again.
    const next = messages(ch.asChannel(), { checkpoint: store, onGap });
    const p = next.next();
    await waitFor(() => ch.handlers.length === 1);
    ch.emit(51, 51);
    expect((await p).value!.offset).toBe(51);
    expect(gaps).toHaveLength(1);
    await next.return();
  });

  it('left behind with its message unacknowledged: the next iteration hands the message again, then goes on past the gap without calling the callback again', async () => {
    const { ch, store, gaps, onGap, m1 } = await endedWithGapBehindUnacked();
    expect(m1.offset).toBe(1);
    expect(gaps).toHaveLength(1);

    const next = messages(ch.asChannel(), { checkpoint: store, autoAck: false, maxUncommitted: 4, onGap });
    const again = (await next.next()).value!;
    expect(again.offset).toBe(1);
    const after = next.next();
    await settle();
    expect(gaps).toHaveLength(1);
    expect(store.saved.get('orders')).toBeUndefined();
    again.ack();
    await waitFor(() => store.saved.get('orders')?.offset === 50, 2000, 'checkpoint at gap.to');
    ch.emit(51, 51);
    expect((await after).value!.offset).toBe(51);
    await next.return();
  });
});
