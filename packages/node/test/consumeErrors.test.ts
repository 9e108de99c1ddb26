import { describe, expect, it } from 'vitest';
import { createManualClock } from '@lifeline/core/testing';
import { consumeWith, type ConsumeOptions, type ErrorPolicy } from '../src/consume';
import { messages, type AckableMessage } from '../src/messageIterator';
import { memoryCheckpoint } from '../src/checkpoint/memoryCheckpoint';
import { createNodeClient, isLifelineNodeError } from '../src/index';
import { FakeChannel, waitFor } from './fixtures/fakeChannel';

// What a loop body can do wrong, in every form JavaScript allows, under the documented
// policies; and policies mistyped by the user, which must not silently mean another one.

const failures: Array<[string, (thrown: unknown) => (msg: AckableMessage<number>) => void | Promise<void>, unknown]> = [
  ['a synchronous throw of an Error', (t) => () => { throw t; }, new Error('sync')],
  ['a rejected promise', (t) => () => Promise.reject(t), new Error('async')],
  ['an async function throwing a string', (t) => async () => { throw t; }, 'boom'],
  ['a plain object thrown synchronously', (t) => () => { throw t; }, { status: 500 }],
  ['undefined thrown', (t) => () => { throw t; }, undefined],
  ['Promise.reject() with nothing', () => () => Promise.reject(), undefined],
  ['null thrown', (t) => () => { throw t; }, null],
];

function run(handler: (msg: AckableMessage<number>) => void | Promise<void>, options: ConsumeOptions<number>) {
  const ch = new FakeChannel<number>();
  const clock = createManualClock();
  const store = memoryCheckpoint();
  const ac = new AbortController();
  const it = messages(ch.asChannel(), { checkpoint: store, autoAck: false, signal: ac.signal });
  const done = consumeWith(it, handler, { ...options, signal: ac.signal }, clock);
  return { ch, clock, store, ac, done };
}

describe('a failing handler, whatever it throws', () => {
  for (const [what, make, thrown] of failures) {
    it(`${what}: retried on the clock, then CONSUMER_STOPPED with that value as cause, unacknowledged`, async () => {
      let calls = 0;
      const fail = make(thrown);
      const { ch, clock, store, done } = run(
        (msg) => {
          calls += 1;
          return fail(msg);
        },
        { onError: { policy: 'retry', maxAttempts: 2, initialDelayMs: 50 } },
      );
      await waitFor(() => ch.handlers.length === 1);
      ch.emit(1, 1);
      await waitFor(() => clock.pending() > 0, 2000, 'the retry wait');
      expect(calls).toBe(1);
      clock.advance(50);
      const error = (await done.then(() => null, (e: unknown) => e)) as Error & { details?: Record<string, unknown> };
      expect(calls).toBe(2);
      expect(isLifelineNodeError(error, 'CONSUMER_STOPPED')).toBe(true);
      expect(error.details).toEqual({ offset: 1, epoch: 'e1', attempts: 2 });
      // "cause = the handler's error", also when that is undefined: it must be told apart
      // from an error that has no cause at all.
      expect(Object.hasOwn(error, 'cause')).toBe(true);
      expect(error.cause).toBe(thrown);
      expect(store.saved.size).toBe(0);
    });

    it(`${what}: dead-lettered with that value, acknowledged, consumption goes on`, async () => {
      const dead: unknown[] = [];
      const fail = make(thrown);
      const { ch, store, ac, done } = run((msg) => (msg.offset === 1 ? fail(msg) : undefined), {
        onError: { policy: 'dead-letter' },
        deadLetter: (_m, info) => void dead.push(info),
      });
      await waitFor(() => ch.handlers.length === 1);
      ch.emit(1, 1);
      ch.emit(2, 2);
      await waitFor(() => store.saved.get('orders')?.offset === 2, 2000, 'both acknowledged');
      expect(dead).toEqual([{ error: thrown, attempts: 1 }]);
      ac.abort();
      await done;
    });
  }
});

const badPolicies: Array<[string, ConsumeOptions<number>]> = [
  ['an unknown policy (typo)', { onError: { policy: 'retyr' } as unknown as ErrorPolicy }],
  ['an unknown onExhausted (typo: silently "stop")', { onError: { policy: 'retry', onExhausted: 'deadletter' } as unknown as ErrorPolicy, deadLetter: () => {} }],
  ['initialDelayMs NaN (retries after 1 ms)', { onError: { policy: 'retry', initialDelayMs: NaN } }],
  ['initialDelayMs negative', { onError: { policy: 'retry', initialDelayMs: -100 } }],
  ['maxDelayMs NaN', { onError: { policy: 'retry', maxDelayMs: NaN } }],
  ['maxDelayMs beyond what a timer can wait (fires after 1 ms)', { onError: { policy: 'retry', maxDelayMs: 2 ** 31 } }],
  ['factor below 1 (shrinking delays)', { onError: { policy: 'retry', factor: 0.5 } }],
  ['factor NaN', { onError: { policy: 'retry', factor: NaN } }],
  ['maxAttempts not an integer', { onError: { policy: 'retry', maxAttempts: 2.5 } }],
  ['deadLetter that is not a function', { onError: { policy: 'dead-letter' }, deadLetter: 'dlq' as never }],
  ['onRetry that is not a function', { onRetry: {} as never }],
  ['signal that is not an AbortSignal', { signal: {} as never }],
  ['onError that is not an object', { onError: 'retry' as unknown as ErrorPolicy }],
];

describe('consume() refuses a mistyped policy with BAD_OPTION before consuming', () => {
  for (const [what, options] of badPolicies) {
    it(what, async () => {
      const ch = new FakeChannel<number>();
      const error = await consumeWith(messages(ch.asChannel()), () => {}, options, createManualClock()).catch((e: unknown) => e);
      expect(isLifelineNodeError(error, 'BAD_OPTION'), String(error)).toBe(true);
      expect(ch.subscribeCount).toBe(0);
    });
  }

  it('a handler that is not a function', async () => {
    const ch = new FakeChannel<number>();
    const error = await consumeWith(messages(ch.asChannel()), undefined as never, {}, createManualClock()).catch((e: unknown) => e);
    expect(isLifelineNodeError(error, 'BAD_OPTION')).toBe(true);
  });

  it('on a Node channel the refusal leaves the channel free: a valid consume() then runs', async () => {
    const client = createNodeClient({ url: 'ws://127.0.0.1:9/v1', autoConnect: false });
    const channel = client.channel<number>('orders');
    const error = await channel.consume(() => {}, { onError: { policy: 'retyr' } as unknown as ErrorPolicy }).catch((e: unknown) => e);
    expect(isLifelineNodeError(error, 'BAD_OPTION')).toBe(true);
    const ac = new AbortController();
    const running = channel.consume(() => {}, { signal: ac.signal });
    ac.abort();
    await expect(running).resolves.toBeUndefined();
    const result = await client.drain();
    expect(result).toMatchObject({ clean: true, unfinishedConsumers: 0 });
  });
});

describe('an onRetry callback that throws', () => {
  it('stops consumption with a typed CONSUMER_STOPPED whose cause is its error, the message unacknowledged', async () => {
    const hookError = new Error('metrics down');
    const handlerError = new Error('handler');
    const { ch, store, done } = run(
      () => {
        throw handlerError;
      },
      {
        onError: { policy: 'retry', maxAttempts: 3, initialDelayMs: 50 },
        onRetry: () => {
          throw hookError;
        },
      },
    );
    await waitFor(() => ch.handlers.length === 1);
    ch.emit(1, 1);
    const error = (await done.then(() => null, (e: unknown) => e)) as Error & { details?: Record<string, unknown> };
    expect(isLifelineNodeError(error, 'CONSUMER_STOPPED')).toBe(true);
    expect(error.message).toContain('onRetry');
    expect(error.cause).toBe(hookError);
    expect(error.details).toMatchObject({ offset: 1, attempts: 1, handlerError });
    expect(store.saved.size).toBe(0);
  });
});
