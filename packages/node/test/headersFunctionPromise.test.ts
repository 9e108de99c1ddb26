// A `headers` function is called on every connection attempt; rotated credentials often
// come from an async source (`async () => ({ authorization: await vault.token() })`).
// A Promise is not a header record, yet it passed the check (Object.entries(promise) is
// []): the upgrade went out with NO credential header and nothing was reported. Now that
// attempt fails (retried with backoff) with the reason in transport.lastError.
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { createNodeClient, isLifelineNodeError, type NodeClient } from '../src/index';
import { waitFor } from './fixtures/fakeChannel';

const clients: NodeClient[] = [];
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** A bare WebSocket server on port 0 recording every upgrade request. */
async function upgradeRecorder(): Promise<{ url: string; requests: IncomingMessage[] }> {
  const requests: IncomingMessage[] = [];
  const http = createHttpServer();
  const wss = new WebSocketServer({ server: http });
  wss.on('connection', (ws, req) => {
    requests.push(req);
    ws.close(1000);
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise<void>((r) => wss.close(() => http.close(() => r()))));
  return { url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}/v1`, requests };
}

describe('a headers function returning a Promise', () => {
  it('fails the attempt with BAD_OPTION in transport.lastError; no upgrade goes out without the header', async () => {
    const { url, requests } = await upgradeRecorder();
    let calls = 0;
    const c = createNodeClient({
      url,
      // A JS caller (or `as any` in TS): the credential comes from an async source.
      headers: (async () => {
        calls += 1;
        return { authorization: 'Bearer rotated' };
      }) as unknown as () => Record<string, string>,
      reconnect: { initialDelayMs: 20, maxDelayMs: 50 },
    });
    clients.push(c);
    await waitFor(() => calls >= 2, 5000, 'a retried attempt'); // retried with backoff, not stopped
    expect(requests).toHaveLength(0);
    expect(c.transport.lastError).toMatchObject({ code: 'BAD_OPTION' });
    expect(c.transport.lastError?.message).toMatch(/returned a Promise/);
    expect(isLifelineNodeError((c.transport.lastError as Error).cause, 'BAD_OPTION')).toBe(true);
  });

  it('a rejected Promise does not become an unhandled rejection', async () => {
    const { url, requests } = await upgradeRecorder();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      let calls = 0;
      const c = createNodeClient({
        url,
        headers: (async () => {
          calls += 1;
          throw new Error('vault down');
        }) as unknown as () => Record<string, string>,
        reconnect: { initialDelayMs: 20, maxDelayMs: 50 },
      });
      clients.push(c);
      await waitFor(() => calls >= 2, 5000, 'a retried attempt');
      await new Promise((r) => setImmediate(r));
      expect(requests).toHaveLength(0);
      expect(c.transport.lastError?.message).toMatch(/returned a Promise/);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('a Promise, a Map or a fetch Headers given as headers is refused at creation with BAD_OPTION', () => {
    const refused = (headers: unknown) => {
      try {
        clients.push(createNodeClient({ url: 'ws://127.0.0.1:1/v1', headers: headers as Record<string, string>, autoConnect: false }));
        return 'accepted';
      } catch (e) {
        return isLifelineNodeError(e, 'BAD_OPTION') ? 'BAD_OPTION' : String(e);
      }
    };
    expect(refused(Promise.resolve({ authorization: 'x' }))).toBe('BAD_OPTION');
    expect(refused(new Map([['authorization', 'x']]))).toBe('BAD_OPTION');
    expect(refused(new Headers({ authorization: 'x' }))).toBe('BAD_OPTION');
    expect(refused({ authorization: 'x' })).toBe('accepted');
  });
});
