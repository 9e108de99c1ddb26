// A handler that rejects while a slower one is still on the same message: the failure
// reaches core only once every handler has settled, as core itself waits (channel.ts
// _deliver). With Promise.all it reached core at the first rejection, and core's
// redelivery handed the message to the slow handler again while its first call ran.
import { afterEach, describe, expect, it } from 'vitest';
import { act, cleanup, render } from '@testing-library/react';
import { LifelineProvider, useChannel } from '../src';
import { setup } from '../../core/test/support/harness';

afterEach(cleanup);

const flush = () => act(async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
});

describe('fanOut: one async handler rejects while another is still running', () => {
  it('the slow handler is not handed the same message again while it is still handling it', async () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 100, maxDelayMs: 100 } });
    h.accept();
    const slowCalls: number[] = [];
    let finishSlow!: () => void;
    let failFast = true;
    function Fast() {
      useChannel<number>('room', async () => {
        if (failFast) {
          failFast = false;
          throw new Error('transient');
        }
      });
      return null;
    }
    function Slow() {
      useChannel<number>('room', (m) => {
        slowCalls.push(m.offset);
        return new Promise<void>((r) => (finishSlow = r)); // e.g. a write to IndexedDB
      });
      return null;
    }
    render(
      <LifelineProvider client={h.client}>
        <Fast />
        <Slow />
      </LifelineProvider>,
    );
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    h.msg('room', 1);
    await flush(); // Fast rejected; Slow is still working on message 1
    h.clock.advance(100); // core's redelivery backoff
    const sub = h.sock.frames('sub').at(-1);
    h.sock.push({ type: 'subscribed', ref: sub.ref, channel: 'room', epoch: 'e1', offset: 1, recovered: true, replay: 1 });
    h.msg('room', 1);
    await flush();
    // Slow has not finished message 1 yet: it must not get it a second time.
    expect(slowCalls).toEqual([1]);
    finishSlow();
    await flush();
    void h.client.close();
  });
});
