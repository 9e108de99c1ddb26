import { describe, expect, it } from 'vitest';
import { createManualClock } from '@lifeline/core/testing';
import type { Position } from '@lifeline/core';
import { createNodeClient, type CheckpointStore, type DrainResult } from '../src/index';
import { waitFor } from './fixtures/fakeChannel';
import { publishHttp } from './fixtures/publishHttp';
import { useTestServer } from './fixtures/testServer';

// A checkpoint store whose save never settles: Redis unreachable with ioredis queueing
// commands while it reconnects (maxRetriesPerRequest: null), a hung network filesystem.
// `timeoutMs` is documented as the upper bound of the whole drain; the drain waited for
// that write for ever, so the socket stayed open and the SIGTERMed pod never exited.

const testServer = useTestServer();

function hangingStore(): CheckpointStore & { saves: Position[] } {
  const saves: Position[] = [];
  return {
    saves,
    load: async () => null,
    save: (_channel, position) => {
      saves.push(position);
      return new Promise<void>(() => {});
    },
  };
}

describe('drain() with a checkpoint write that never completes', () => {
  it('still ends at timeoutMs: not clean, the socket closed with 1001, the position not claimed durable', async () => {
    const clock = createManualClock(Date.now());
    const store = hangingStore();
    const client = createNodeClient({ url: testServer.url, clock, checkpoint: store });
    const channel = client.channel<{ n: number }>('stuck-store');
    const handled: number[] = [];
    const loop = (async () => {
      for await (const msg of channel.messages()) handled.push(msg.offset);
    })();
    await waitFor(() => channel.channel?.getSnapshot().state === 'subscribed', 10_000, 'subscribed');
    await publishHttp(testServer.httpUrl, 'stuck-store', { n: 1 });
    await publishHttp(testServer.httpUrl, 'stuck-store', { n: 2 });
    // Message 1 handled; its save hangs, so message 2 waits behind maxUncommitted (1).
    await waitFor(() => store.saves.length === 1, 10_000, 'the first save');
    const socket = client.transport.socket!;
    const closeCode = new Promise<number>((r) => socket.once('close', (code: number) => r(code)));

    let result: DrainResult | null = null;
    void client.drain({ timeoutMs: 1_000 }).then((r) => (result = r));
    await new Promise((r) => setImmediate(r));
    clock.advance(1_000);
    await waitFor(() => result !== null, 5_000, 'the drain to end at its deadline');
    expect(result).toEqual({ clean: false, unflushedPublishes: 0, failedPublishes: 0, unfinishedConsumers: 1, failedCheckpoints: [], checkpoints: { 'stuck-store': null } });
    expect(await closeCode).toBe(1001);
    expect(client.state).toBe('closed');
    await loop; // the loop ended with done
    expect(handled).toEqual([1]);
  });

  it('close() closes the socket at once even while a checkpoint write hangs', async () => {
    const store = hangingStore();
    const client = createNodeClient({ url: testServer.url, checkpoint: store });
    const channel = client.channel<{ n: number }>('stuck-store-close');
    const iterator = channel.messages();
    const first = iterator.next();
    await waitFor(() => channel.channel?.getSnapshot().state === 'subscribed', 10_000, 'subscribed');
    await publishHttp(testServer.httpUrl, 'stuck-store-close', { n: 1 });
    await first;
    void iterator.next(); // acknowledges message 1: its save hangs
    await waitFor(() => store.saves.length === 1, 10_000, 'the save');
    void client.close();
    await waitFor(() => client.state === 'closed' && client.transport.socket === null, 5_000, 'socket closed');
  });
});
