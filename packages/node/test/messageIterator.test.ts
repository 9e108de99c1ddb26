import { describe, expect, it } from 'vitest';
import type { Position } from '@lifeline/core';
import { messages, MessageIterator } from '../src/messageIterator';
import { memoryCheckpoint } from '../src/checkpoint/memoryCheckpoint';
import type { CheckpointStore } from '../src/checkpoint/types';
import { isLifelineNodeError } from '../src/errors';
import { FakeChannel, waitFor } from './fixtures/fakeChannel';
import { ProcessKeepAlive } from '../src/processLiveness';

/** A store whose saves resolve only when the test says so. */
function gatedStore() {
  const saves: Array<{ position: Position; resolve: () => void }> = [];
  const saved: Position[] = [];
  const store: CheckpointStore = {
    load: async () => null,
    save: (_channel, position) =>
      new Promise<void>((resolve) => {
        saves.push({
          position,
          resolve: () => {
            saved.push(position);
            resolve();
          },
        });
      }),
  };
  return { store, saves, saved };
}

describe('messages()', () => {
  it('yields in order, acks when the loop body finishes, and checkpoints the last processed offset', async () => {
    const ch = new FakeChannel<string>();
    const store = memoryCheckpoint();
    const it = messages(ch.asChannel(), { checkpoint: store });
    const seen: number[] = [];
    const first = it.next();
    await waitFor(() => ch.handlers.length === 1, 2000, 'subscribe');
    for (let i = 1; i <= 5; i++) ch.emit(i, `m${i}`);
    seen.push((await first).value!.offset);
    for (let i = 0; i < 3; i++) seen.push((await it.next()).value!.offset);
    expect(seen).toEqual([1, 2, 3, 4]);
    // Message 4 is in the loop body: not acknowledged yet.
    expect(store.saved.get('orders')).toEqual({ offset: 3, epoch: 'e1' });
    await it.return();
    expect(store.saved.get('orders')).toEqual({ offset: 3, epoch: 'e1' });
    expect(ch.handlers.length).toBe(0);
  });

  it('msg.ack() inside the body commits before the body ends; acks may come out of order with autoAck:false', async () => {
    const ch = new FakeChannel<string>();
    const store = memoryCheckpoint();
    const it = messages(ch.asChannel(), { checkpoint: store, autoAck: false, maxUncommitted: 3 });
    const p = it.next();
    await waitFor(() => ch.handlers.length === 1);
    for (let i = 1; i <= 3; i++) ch.emit(i, `m${i}`);
    const a = (await p).value!;
    const b = (await it.next()).value!;
    const c = (await it.next()).value!;
    c.ack();
    b.ack();
    await waitFor(() => true);
    expect(store.saved.get('orders')).toBeUndefined();
    a.ack();
    await waitFor(() => store.saved.get('orders')?.offset === 3, 2000, 'commit 3');
    await it.return();
  });

  it('never has more than maxUncommitted messages handed out without a durable checkpoint', async () => {
    const ch = new FakeChannel<number>();
    const { store, saves, saved } = gatedStore();
    const it = messages(ch.asChannel(), { checkpoint: store, maxUncommitted: 1 });
    const p1 = it.next();
    await waitFor(() => ch.handlers.length === 1);
    for (let i = 1; i <= 3; i++) ch.emit(i, i);
    expect((await p1).value!.offset).toBe(1);
    let second = false;
    const p2 = it.next().then((r) => {
      second = true;
      return r;
    });
    await waitFor(() => saves.length === 1, 2000, 'save of 1 started');
    expect(second).toBe(false); // message 2 waits for the durable write of 1
    saves[0]!.resolve();
    expect((await p2).value!.offset).toBe(2);
    expect(saved).toEqual([{ offset: 1, epoch: 'e1' }]);
    const p3 = it.return();
    await waitFor(() => saves.length === 1); // nothing new acked: 2 was still in the body
    await p3;
  });

  it('maxUncommitted holds across iterations of the same channel (the sequence goes on after the last one acknowledged)', async () => {
    const ch = new FakeChannel<number>();
    const { store, saves } = gatedStore();
    const first = messages(ch.asChannel(), { checkpoint: store, maxUncommitted: 1 });
    const p = first.next();
    await waitFor(() => ch.handlers.length === 1);
    for (let i = 1; i <= 5; i++) ch.emit(i, i);
    expect((await p).value!.offset).toBe(1);
    for (let i = 2; i <= 3; i++) {
      const next = first.next();
      await waitFor(() => saves.length === i - 1, 2000, `save of ${i - 1}`);
      saves[i - 2]!.resolve();
      expect((await next).value!.offset).toBe(i);
    }
    await first.return(); // 3 unacknowledged: given to the next iteration
    const second = messages(ch.asChannel(), { checkpoint: store, maxUncommitted: 1 });
    expect((await second.next()).value!.offset).toBe(3);
    let handedOut = false;
    const p4 = second.next().then((r) => {
      handedOut = true;
      return r;
    });
    await waitFor(() => saves.length === 3, 2000, 'save of 3 started');
    expect(handedOut).toBe(false); // 4 waits for the durable write of 3, as in one iteration
    saves[2]!.resolve();
    expect((await p4).value!.offset).toBe(4);
    const end = second.return();
    await end;
  });

  it('coalesces checkpoint writes while one is in flight (maxUncommitted > 1)', async () => {
    const ch = new FakeChannel<number>();
    const { store, saves } = gatedStore();
    const it = messages(ch.asChannel(), { checkpoint: store, maxUncommitted: 10 });
    const p = it.next();
    await waitFor(() => ch.handlers.length === 1);
    for (let i = 1; i <= 6; i++) ch.emit(i, i);
    await p;
    for (let i = 0; i < 5; i++) await it.next();
    // 1..5 acked: one write (of 1) in flight, later acks coalesced into one pending write.
    expect(saves.map((s) => s.position.offset)).toEqual([1]);
    saves[0]!.resolve();
    await waitFor(() => saves.length === 2, 2000, 'second save');
    expect(saves[1]!.position.offset).toBe(5);
    saves[1]!.resolve();
    await it.return();
  });

  it('calls onHigh/onLow through the flow controller at the watermarks', async () => {
    const ch = new FakeChannel<number>();
    const calls: string[] = [];
    const flow = {
      requestPause: () => calls.push('pause'),
      releasePause: () => calls.push('resume'),
    };
    const it = new MessageIterator<number>(
      { open: async () => ({ channel: ch.asChannel(), start: null }), flow: flow as never },
      { highWaterMark: 4, lowWaterMark: 1 },
    );
    const p = it.next();
    await waitFor(() => ch.handlers.length === 1);
    ch.emit(1, 1); // goes straight to the waiting next()... after a tick
    await p;
    for (let i = 2; i <= 7; i++) ch.emit(i, i);
    expect(it.buffered).toBe(6);
    expect(calls.filter((c) => c === 'pause').length).toBe(3); // at 4, 5 and 6 buffered
    for (let i = 0; i < 5; i++) await it.next();
    expect(calls.at(-1)).toBe('resume');
    expect(it.buffered).toBe(1);
    await it.return();
  });

  it('an AbortSignal ends the iteration cleanly, also while waiting for a message', async () => {
    const ch = new FakeChannel<number>();
    const ac = new AbortController();
    const store = memoryCheckpoint();
    const it = messages(ch.asChannel(), { signal: ac.signal, checkpoint: store });
    const out: number[] = [];
    const loop = (async () => {
      for await (const m of it) out.push(m.offset);
    })();
    await waitFor(() => ch.handlers.length === 1);
    ch.emit(1, 1);
    ch.emit(2, 2);
    await waitFor(() => out.length === 2);
    ac.abort();
    await loop;
    expect(out).toEqual([1, 2]);
    expect(store.saved.get('orders')).toEqual({ offset: 2, epoch: 'e1' });
    expect(ch.handlers.length).toBe(0);
    expect(await it.next()).toEqual({ done: true, value: undefined });
  });

  it('an already-aborted signal ends the iteration at once without subscribing', async () => {
    const ch = new FakeChannel<number>();
    const it = messages(ch.asChannel(), { signal: AbortSignal.abort() });
    expect(await it.next()).toEqual({ done: true, value: undefined });
    expect(ch.subscribeCount).toBe(0);
  });

  it('gives unacknowledged messages of an ended iteration to the next one', async () => {
    const ch = new FakeChannel<number>();
    const first = messages(ch.asChannel());
    const p = first.next();
    await waitFor(() => ch.handlers.length === 1);
    for (let i = 1; i <= 4; i++) ch.emit(i, i);
    expect((await p).value!.offset).toBe(1);
    expect((await first.next()).value!.offset).toBe(2); // 1 acked, 2 in the body
    await first.return(); // break: 2 unacknowledged, 3 and 4 buffered
    const second = messages(ch.asChannel());
    const got: number[] = [];
    const p2 = second.next();
    got.push((await p2).value!.offset);
    ch.emit(5, 5);
    for (let i = 0; i < 3; i++) got.push((await second.next()).value!.offset);
    expect(got).toEqual([2, 3, 4, 5]);
    await second.return();
  });

  it("stops with a GAP error by default, after every message before the gap; 'continue' and a callback go on", async () => {
    for (const policy of ['stop', 'continue', 'callback'] as const) {
      const ch = new FakeChannel<number>();
      const gaps: unknown[] = [];
      const it = messages(ch.asChannel(), {
        onGap: policy === 'callback' ? (g) => void gaps.push(g) : policy,
      });
      const out: number[] = [];
      const loop = (async () => {
        for await (const m of it) {
          out.push(m.offset);
          if (m.offset === 100) break;
        }
      })();
      await waitFor(() => ch.handlers.length === 1);
      ch.emit(1, 1);
      ch.emitGap({ offset: 99, epoch: 'e2' });
      ch.emit(100, 100, 'e2');
      if (policy === 'stop') {
        const error = await loop.then(() => null, (e: unknown) => e);
        expect(isLifelineNodeError(error, 'GAP')).toBe(true);
        expect(out).toEqual([1]);
      } else {
        await loop;
        expect(out).toEqual([1, 100]);
      }
      if (policy === 'callback') expect(gaps).toHaveLength(1);
    }
  });

  it('refuses a second concurrent consumer of the same channel', async () => {
    const ch = new FakeChannel<number>();
    const a = messages(ch.asChannel());
    const pa = a.next();
    await waitFor(() => ch.handlers.length === 1);
    const b = messages(ch.asChannel());
    const error = await b.next().then(() => null, (e: unknown) => e);
    expect(isLifelineNodeError(error, 'ALREADY_CONSUMING')).toBe(true);
    ch.emit(1, 1);
    await pa;
    await a.return();
  });

  it('ended while the checkpoint was loading: subscribes to nothing, holds nothing, and the next consumer may start', async () => {
    const ch = new FakeChannel<number>();
    let loaded!: () => void;
    const keepAlive = new ProcessKeepAlive(true);
    const slow = new MessageIterator<number>({
      open: () => new Promise((resolve) => (loaded = () => resolve({ channel: ch.asChannel(), start: null }))),
      checkpoint: null,
      keepAlive,
    });
    const pending = slow.next();
    await waitFor(() => loaded !== undefined);
    await slow.terminate();
    loaded();
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(ch.handlers.length).toBe(0);
    expect(keepAlive.active).toBe(false);
    const next = messages(ch.asChannel());
    const p = next.next();
    await waitFor(() => ch.handlers.length === 1);
    ch.emit(1, 1);
    expect((await p).value!.offset).toBe(1);
    await next.return();
  });

  it('drops a duplicate (same epoch, offset not above the last seen) instead of handing it out twice', async () => {
    const ch = new FakeChannel<number>();
    const it = messages(ch.asChannel());
    const p = it.next();
    await waitFor(() => ch.handlers.length === 1);
    ch.emit(1, 1);
    ch.emit(1, 1);
    ch.emit(2, 2);
    expect((await p).value!.offset).toBe(1);
    expect((await it.next()).value!.offset).toBe(2);
    await it.return();
  });

  it('surfaces a failing checkpoint save as CHECKPOINT_FAILED instead of running ahead', async () => {
    const ch = new FakeChannel<number>();
    const store: CheckpointStore = { load: async () => null, save: async () => Promise.reject(new Error('disk full')) };
    const it = messages(ch.asChannel(), { checkpoint: store });
    const p = it.next();
    await waitFor(() => ch.handlers.length === 1);
    ch.emit(1, 1);
    ch.emit(2, 2);
    await p;
    const error = await it.next().then(() => null, (e: unknown) => e);
    expect(isLifelineNodeError(error, 'CHECKPOINT_FAILED')).toBe(true);
  });
});

describe('messages() standalone (no socket to pause)', () => {
  it('holds core back with a pending handler promise above the high-water mark, released at the low-water mark', async () => {
    const ch = new FakeChannel<number>();
    const it = messages(ch.asChannel(), { highWaterMark: 3, lowWaterMark: 1 });
    const p = it.next();
    await waitFor(() => ch.handlers.length === 1);
    const handler = ch.handlers[0]!;
    const returned = [1, 2, 3, 4].map((o) => handler({ type: 'msg', channel: 'orders', offset: o, epoch: 'e1', data: o }));
    // The push that reaches 3 buffered returns a promise (core waits on it); the next one too.
    expect(returned.slice(0, 2)).toEqual([undefined, undefined]);
    expect(returned[2]).toBeInstanceOf(Promise);
    let released = 0;
    for (const r of returned.slice(2)) void (r as Promise<void>).then(() => (released += 1));
    expect((await p).value!.offset).toBe(1); // 3 buffered
    expect((await it.next()).value!.offset).toBe(2); // 2 buffered
    await waitFor(() => true);
    expect(released).toBe(0);
    expect((await it.next()).value!.offset).toBe(3); // 1 buffered = low-water mark
    await waitFor(() => released === 2, 2000, 'handlers released');
    await it.return();
  });
});
