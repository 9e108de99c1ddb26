import { beforeAll, describe, expect, it } from 'vitest';
import { createNodeClient } from '../src/index';
import { refusedUrl } from './fixtures/freePort';
import { useTestServer } from './fixtures/testServer';

// A close() during a drain fails the publishes the drain was waiting for: the drain
// must not report itself clean, and must say how many it lost.

const testServer = useTestServer();
let deadUrl: string;
beforeAll(async () => {
  deadUrl = await refusedUrl();
});

const codeOf = (p: Promise<unknown>) => p.then(() => 'acked', (e: { code?: string }) => e.code);

describe('drain() interrupted by close()', () => {
  it('a publish close() failed before it reached the outbox: not clean, failedPublishes 1', async () => {
    const client = createNodeClient({ url: testServer.url });
    const published = codeOf(client.channel('x4').publish({ a: 1 }));
    const drained = client.drain({ timeoutMs: 2000 });
    void client.close();
    expect(await published).toBe('CLIENT_CLOSED');
    expect(await drained).toEqual({ clean: false, unflushedPublishes: 0, failedPublishes: 1, unfinishedConsumers: 0, failedCheckpoints: [], checkpoints: {} });
  });

  it('publishes queued in core\'s outbox (channel and client.core) that close() failed: counted once each', async () => {
    // Nothing listens: the publishes stay queued until the close fails them.
    const client = createNodeClient({ url: deadUrl });
    await client.channel('queued').ready();
    const viaChannel = codeOf(client.channel('queued').publish({ a: 1 }));
    const viaCore = codeOf(client.core.publish('queued', { a: 2 }));
    await new Promise((r) => setTimeout(r, 50));
    expect(client.stats().outboxDepth).toBe(2);
    const drained = client.drain({ timeoutMs: 2000 });
    await client.close();
    expect([await viaChannel, await viaCore]).toEqual(['CLIENT_CLOSED', 'CLIENT_CLOSED']);
    expect(await drained).toMatchObject({ clean: false, unflushedPublishes: 0, failedPublishes: 2 });
  });

  it('publishes the drain itself gives up on at its deadline are unflushed, not failed by a close', async () => {
    const client = createNodeClient({ url: deadUrl });
    const published = codeOf(client.channel('late').publish({ a: 1 }));
    const result = await client.drain({ timeoutMs: 100 });
    expect(await published).toBe('CLIENT_CLOSED');
    expect(result).toMatchObject({ clean: false, unflushedPublishes: 1, failedPublishes: 0 });
  });

  it('a publish failed by a close before the drain started is not counted', async () => {
    const client = createNodeClient({ url: deadUrl });
    await client.channel('before').ready();
    const before = codeOf(client.core.publish('before', { a: 1 }));
    await client.core.close();
    expect(await before).toBe('CLIENT_CLOSED');
    expect(await client.drain({ timeoutMs: 100 })).toMatchObject({ clean: true, failedPublishes: 0 });
  });
});
