import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '@lifeline/core/testing';
import { createNodeClient, type NodeClient } from '../src/index';
import { bundleFixture } from './fixtures/bundle';
import { killAllChildren, startChild, type Child } from './fixtures/child';
import { waitFor } from './fixtures/fakeChannel';
import { publishHttp } from './fixtures/publishHttp';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapUsed = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

// The server runs in its own process so its send buffers are not in this heap.
let server: Child;
let wsUrl: string;
let httpUrl: string;
let client: NodeClient | null = null;

beforeAll(async () => {
  server = startChild(await bundleFixture('serverProcess.ts'), [JSON.stringify({})]);
  [, wsUrl, httpUrl] = (await server.line('READY')).split(' ') as [string, string, string];
}, 30_000);
afterAll(async () => {
  await client?.close();
  killAllChildren();
});

/** Waits until `read()` returns the same value `times` polls in a row. */
async function settled(read: () => number, times = 5): Promise<void> {
  let last = -1;
  let same = 0;
  await waitFor(() => {
    const v = read();
    same = v === last ? same + 1 : 0;
    last = v;
    return same >= times;
  }, 20_000, 'buffer to settle');
}

describe('backpressure: slow consumer, fast publisher (real server, real TCP)', () => {
  it('pauses the socket at the high-water mark, keeps heap growth far below what was published, and loses nothing', async () => {
    const clock = createManualClock(Date.now());
    client = createNodeClient({ url: `${wsUrl}/v1`, clock });
    const channel = client.channel<{ n: number; pad: string }>('firehose');
    const highWaterMark = 8;
    const iterator = channel.messages({ highWaterMark, lowWaterMark: 2 });

    const first = iterator.next();
    await waitFor(() => channel.channel?.getSnapshot().state === 'subscribed', 10_000, 'subscribed');
    await publishHttp(httpUrl, 'firehose', { n: 0, pad: '' });
    expect((await first).value!.offset).toBe(1);

    // The consumer now stalls inside message 1 while 200 × 48 KB (≈ 9.6 MB) are published.
    const count = 200;
    const pad = 'x'.repeat(48 * 1024);
    const before = heapUsed();
    for (let n = 1; n <= count; n++) await publishHttp(httpUrl, 'firehose', { n, pad });
    await settled(() => iterator.buffered);
    const grown = heapUsed() - before;
    const publishedBytes = count * pad.length;

    console.log(`[backpressure] heap growth ${(grown / 1e6).toFixed(2)} MB for ${(publishedBytes / 1e6).toFixed(1)} MB published; peak buffered ${iterator.peakBuffered}`);
    expect(client.transport.paused).toBe(true);
    expect(client.transport.stats.pauses).toBeGreaterThanOrEqual(1);
    // Only what Node had already read from the kernel (a socket read or two of ≤ 64 KiB,
    // i.e. a few 48 KB frames) can land after the pause.
    expect(iterator.peakBuffered).toBeLessThanOrEqual(highWaterMark + 3);
    expect(iterator.buffered).toBeLessThan(count);
    expect(grown).toBeLessThan(publishedBytes / 3);

    // A paused socket keeps the connection alive: ping to the server, one read through.
    const readsBefore = iterator.buffered;
    clock.advance(10_000);
    await waitFor(() => client!.transport.stats.breathers === 1 && client!.transport.paused, 10_000, 'breather then re-pause');
    expect(client.transport.stats.keepalivePings).toBe(1);
    expect(iterator.buffered - readsBefore).toBeLessThanOrEqual(4);
    expect(client.state).toBe('open');

    // The consumer catches up: every message arrives, in order, and the socket resumes.
    const offsets: number[] = [];
    while (offsets.length < count) {
      const r = await iterator.next();
      offsets.push(r.value!.offset);
    }
    expect(offsets).toEqual(Array.from({ length: count }, (_, i) => i + 2));
    expect(client.transport.stats.resumes).toBeGreaterThanOrEqual(1);
    expect(client.transport.paused).toBe(false);
    await iterator.return();
  }, 60_000);
});
