// One AbortSignal shared by many iterations (a shutdown signal for every channel) got one
// 'abort' listener per iteration: past 10, Node printed MaxListenersExceededWarning.
import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createNodeClient, messages } from '../src/index';
import { FakeChannel, waitFor } from './fixtures/fakeChannel';
import { useTracker } from './fixtures/tracker';

const clients = useTracker();
const warnings: Error[] = [];
const onWarning = (warning: Error) => void warnings.push(warning);
beforeEach(() => {
  warnings.length = 0;
  process.on('warning', onWarning);
});
afterEach(() => {
  process.off('warning', onWarning);
});

const abortListeners = (signal: AbortSignal) => getEventListeners(signal, 'abort').length;
/** Node emits the warning on a later tick. */
const warningsSettled = () => new Promise((r) => setImmediate(r));
const maxListenerWarnings = () => warnings.filter((w) => w.name === 'MaxListenersExceededWarning');

describe('one AbortSignal shared by many iterations', () => {
  it('30 messages() and consume() loops on one client: one listener on the signal, no warning, all end on abort, none left', async () => {
    // autoConnect false: the iterations subscribe (core keeps them desired) with no socket needed.
    const client = clients.add(createNodeClient({ url: 'ws://127.0.0.1:9/v1', autoConnect: false }));
    const stop = new AbortController();
    const loops: Array<Promise<unknown>> = [];
    for (let i = 0; i < 15; i++) {
      const it = client.channel(`loop-${i}`).messages({ signal: stop.signal });
      loops.push((async () => {
        for await (const _ of it) {
          /* nothing is published */
        }
      })());
      loops.push(client.channel(`consume-${i}`).consume(() => {}, { signal: stop.signal }));
    }
    await waitFor(() => Array.from({ length: 15 }, (_, i) => client.channel(`loop-${i}`).channel).every(Boolean), 5000, 'iterations started');
    await warningsSettled();
    expect(abortListeners(stop.signal)).toBe(1);
    expect(maxListenerWarnings()).toEqual([]);

    stop.abort();
    await Promise.all(loops);
    expect(abortListeners(stop.signal)).toBe(0);
  });

  it('iterations that end without an abort remove what they listened with (the signal outlives them)', async () => {
    const stop = new AbortController();
    for (let round = 0; round < 3; round++) {
      const channels = Array.from({ length: 12 }, (_, i) => new FakeChannel<number>(`c${i}`));
      const its = channels.map((ch) => messages(ch.asChannel(), { signal: stop.signal }));
      const pending = its.map((it) => it.next());
      await waitFor(() => channels.every((ch) => ch.handlers.length === 1), 2000, 'subscribed');
      expect(abortListeners(stop.signal)).toBe(1);
      await Promise.all(its.map((it) => it.return()));
      await Promise.all(pending);
      expect(abortListeners(stop.signal)).toBe(0);
    }
    await warningsSettled();
    expect(maxListenerWarnings()).toEqual([]);
    expect(stop.signal.aborted).toBe(false);
  });
});
