// A handler that fails (onHandlerError 'redeliver') arms its channel's retry timer. An
// async handler settling after close() armed it on the closed client: the timer
// outlived close() (a Node process stayed up for the backoff, for nothing). An `error`
// listener closing the client from inside the failure is checked too.
import { describe, expect, it } from 'vitest';
import { flushPromises, setup } from './support/harness';

const lastSub = (h: ReturnType<typeof setup>) => h.sock.frames('sub').at(-1);

describe('a handler failure on a closed client', () => {
  it('an async handler rejecting after close() resolved: no timer; connect() again redelivers the message', async () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 5_000 } });
    h.accept();
    const ch = h.client.channel('room');
    ch.on('error', () => {});
    let fail!: (e: Error) => void;
    const got: number[] = [];
    ch.subscribe((m) => {
      got.push(m.offset);
      if (got.length === 1) return new Promise<void>((_, r) => (fail = r));
    });
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    h.msg('room', 1);
    const closing = h.client.close();
    h.sock.serverClose(1000);
    await closing;
    fail(new Error('too late'));
    await flushPromises();
    expect(h.clock.pending()).toBe(0);
    h.client.connect();
    h.accept();
    expect(lastSub(h).since).toEqual({ offset: 0, epoch: 'e1' });
    h.answerSubs({ room: { offset: 1, epoch: 'e1', recovered: true, replay: 1 } });
    h.msg('room', 1);
    expect(got).toEqual([1, 1]);
  });

  it('a sync handler throwing, whose `error` listener closes the client: no timer once closed', async () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 5_000 } });
    h.accept();
    const ch = h.client.channel('room');
    let closing: Promise<void> | undefined;
    ch.on('error', () => (closing ??= h.client.close()));
    ch.subscribe(() => {
      throw new Error('bug');
    });
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    h.msg('room', 1);
    h.sock.serverClose(1000);
    await closing;
    expect(h.clock.pending()).toBe(0);
    expect(ch.position).toEqual({ offset: 0, epoch: 'e1' });
  });
});
