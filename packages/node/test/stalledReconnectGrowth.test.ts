import { afterEach, describe, expect, it } from 'vitest';
import { createNodeClient, type NodeClient } from '../src/index';
import { waitFor } from './fixtures/fakeChannel';
import { publishHttp } from './fixtures/publishHttp';
import { useTestServer } from './fixtures/testServer';

// README says `flowControl.maxBufferedMessages` "bounds memory in every case": above it
// the paused socket lets nothing through. But a consumer stalled there gets no read, so core's
// watchdog drops the connection (heartbeat-timeout, by design); the new socket starts unpaused,
// core resubscribes from its position (past everything buffered) and the whole first read of the
// replay — up to ~64 KiB of frames, hundreds of small messages — is enqueued before the pause
// takes effect. Once per reconnect, for as long as the consumer stays stalled: unbounded.
const testServer = useTestServer({ heartbeatMs: 300 });
let client: NodeClient | null = null;
let publishing = false;
afterEach(async () => {
  publishing = false;
  await client?.close();
  client = null;
});

describe('stalled consumer at maxBufferedMessages across reconnects', () => {
  it('the buffer stays near maxBufferedMessages however many times core reconnects', async () => {
    const maxBufferedMessages = 20;
    client = createNodeClient({
      url: testServer.url,
      heartbeat: { timeoutMs: 600 },
      flowControl: { pausedKeepaliveMs: 60_000, maxBufferedMessages },
      reconnect: { initialDelayMs: 20, maxDelayMs: 50 },
    });
    const c = client;
    const ch = c.channel<{ n: number }>('growth');
    const it = ch.messages({ highWaterMark: 4, lowWaterMark: 1 });
    const first = it.next();
    await waitFor(() => ch.channel?.getSnapshot().state === 'subscribed', 10_000, 'subscribed');
    // A steady publisher of small messages (many per TCP read), well inside retention (1000).
    publishing = true;
    void (async () => {
      for (let n = 1; publishing && n <= 5000; n++) {
        await publishHttp(testServer.httpUrl, 'growth', { n }).catch(() => {});
        if (n % 20 === 0) await new Promise((r) => setTimeout(r, 10));
      }
    })();
    await first; // the consumer stalls in its first body for good
    const atReconnect: number[] = [];
    c.on('state', (e) => {
      if (e.to === 'open') atReconnect.push(it.buffered);
    });
    // Stalled for 10 s (≈ 5 reconnects without a fix).
    await new Promise((r) => setTimeout(r, 10_000));
    publishing = false;
    // Measured: [590, 990, 1391, 1792, 2192], then 2567 (≈ 400 more per reconnect, for ever).
    const coreBuffer = (ch.channel as unknown as { _buffer?: unknown[] | null })._buffer?.length ?? 0;
    console.log('buffered at each reopen', JSON.stringify(atReconnect), 'now', it.buffered, 'core buffer', coreBuffer, JSON.stringify(c.stats()));
    // Bound: maxBufferedMessages, plus what one read can carry past the pause once.
    expect(it.buffered).toBeLessThan(maxBufferedMessages * 3);
    expect(coreBuffer).toBeLessThanOrEqual(1000); // core's own bound behind a held handler
  }, 60_000);
});
