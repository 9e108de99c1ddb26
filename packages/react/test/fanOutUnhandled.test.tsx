// When one handler of a channel throws synchronously and another returns a promise that
// rejects, the rejection is handled (fanOut in channelLeases.ts used to throw at once and
// drop the pending promise: "Uncaught (in promise)" in a browser, a failed run here).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { act, cleanup, render } from '@testing-library/react';
import { LifelineProvider, useChannel } from '../src';
import { setup } from '../../core/test/support/harness';

const unhandled: unknown[] = [];
const onUnhandled = (e: unknown) => void unhandled.push(e);
beforeEach(() => {
  unhandled.length = 0;
  process.on('unhandledRejection', onUnhandled);
});
afterEach(() => {
  process.off('unhandledRejection', onUnhandled);
  cleanup();
});

describe('fanOut: a sync throw next to an async handler', () => {
  it('a rejection of the async handler is not left unhandled', async () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 100, maxDelayMs: 100 } });
    h.accept();
    function SyncThrows() {
      useChannel<number>('room', () => {
        throw new Error('sync');
      });
      return null;
    }
    function AsyncRejects() {
      useChannel<number>('room', async () => {
        await Promise.resolve();
        throw new Error('async');
      });
      return null;
    }
    render(
      <LifelineProvider client={h.client}>
        <SyncThrows />
        <AsyncRejects />
      </LifelineProvider>,
    );
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    h.msg('room', 1);
    await act(async () => {
      await new Promise((r) => setTimeout(r, 20));
    });
    expect(h.errors.map((e) => e.code)).toEqual(['HANDLER_ERROR']); // core did take the failure
    expect(unhandled.map(String)).toEqual([]);
    void h.client.close();
  });
});
