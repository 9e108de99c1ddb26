// drain() after a drain and then close() resolved again with the first drain's result, as if
// it had drained; the docs (and a plain close() then drain()) say it rejects CLIENT_CLOSED.
import { describe, expect, it } from 'vitest';
import { createNodeClient, isLifelineNodeError } from '../src/index';
import { useTestServer } from './fixtures/testServer';
import { useTracker } from './fixtures/tracker';

const testServer = useTestServer();
const clients = useTracker();
const client = () => clients.add(createNodeClient({ url: testServer.url }));
const closedError = (e: unknown) => isLifelineNodeError(e, 'CLIENT_CLOSED');

describe('drain() after close()', () => {
  it('rejects CLIENT_CLOSED after a plain close()', async () => {
    const c = client();
    await c.close();
    await expect(c.drain()).rejects.toSatisfy(closedError);
  });

  it('rejects CLIENT_CLOSED after a drain followed by close()', async () => {
    const c = client();
    const first = c.drain();
    expect(c.drain()).toBe(first); // a second call during or after the drain: the same promise
    expect((await first).clean).toBe(true);
    expect(c.drain()).toBe(first);
    await c.close();
    await expect(c.drain()).rejects.toSatisfy(closedError);
  });

  it('rejects CLIENT_CLOSED after a close() made during the drain', async () => {
    const c = client();
    const first = c.drain();
    const closing = c.close();
    await expect(c.drain()).rejects.toSatisfy(closedError);
    await Promise.all([first, closing]);
  });
});
