import { afterEach, describe, expect, it } from 'vitest';
import { createNodeClient, type NodeClient } from '../src/index';
import { waitFor } from './fixtures/fakeChannel';
import { publishHttp } from './fixtures/publishHttp';
import { useTestServer } from './fixtures/testServer';

// The server pings every second and terminates a peer silent for two intervals.
const testServer = useTestServer({ heartbeatMs: 1000 });
let client: NodeClient | null = null;
let publishing = false;

afterEach(async () => {
  publishing = false;
  await client?.close();
  client = null;
});

/** Publishes a small message every 20 ms until stopped, so a paused socket always has data behind it. */
function publishContinuously(channel: string) {
  publishing = true;
  void (async () => {
    for (let n = 1; publishing; n++) {
      await publishHttp(testServer.httpUrl, channel, { n }).catch(() => {});
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
}

async function stalledConsumer(channel: string, pausedKeepaliveMs: number, maxBufferedMessages?: number) {
  client = createNodeClient({
    url: testServer.url,
    flowControl: { pausedKeepaliveMs, maxBufferedMessages },
    reconnect: { initialDelayMs: 50, maxDelayMs: 100 },
  });
  const c = client;
  const ch = c.channel(channel);
  const it = ch.messages({ highWaterMark: 4, lowWaterMark: 1 });
  const first = it.next(); // the consumer takes one message and then stalls in its loop body
  await waitFor(() => ch.channel?.getSnapshot().state === 'subscribed', 10_000, 'subscribed');
  publishContinuously(channel);
  await first;
  await waitFor(() => c.transport.paused, 10_000, 'socket paused');
  return c;
}

describe('heartbeats while the socket is paused (server heartbeatMs 1000: silent peers die after 2 s)', () => {
  it('keepalive pings and reads keep a stalled consumer connected well past the server and core timeouts', async () => {
    const c = await stalledConsumer('hb-keep', 200);
    // 20 keepalive periods ≈ 4 s: longer than the server's 2 s and core's 3 s silence limits.
    await waitFor(() => c.transport.stats.keepalivePings >= 20, 20_000, '20 keepalive pings');
    expect(c.stats().reconnects).toBe(0);
    expect(c.state).toBe('open');
    expect(c.transport.stats.pauses).toBeGreaterThan(1); // re-paused after the reads let through
  }, 30_000);

  it("core's own pings (every heartbeatMs) each let one read through: connected with the keepalive far off", async () => {
    const c = await stalledConsumer('hb-core-pings', 60_000);
    // ≈ 4 s of core pings, one a second: past the server's 2 s and core's 3 s silence limits.
    await waitFor(() => c.transport.stats.pingReads >= 4, 20_000, '4 reads for core pings');
    expect(c.stats().reconnects).toBe(0);
    expect(c.state).toBe('open');
    expect(c.transport.stats.keepalivePings).toBe(0);
    expect(c.transport.stats.pauses).toBeGreaterThan(1);
  }, 30_000);

  it('control: with no read let through (keepalive far off, buffer at maxBufferedMessages) the same stalled consumer loses its connection', async () => {
    // Core's pings reach the server, but nothing reaches core: its watchdog ends the socket.
    const c = await stalledConsumer('hb-none', 60_000, 4);
    const dropped = new Promise<string>((resolve) =>
      c.on('state', (e) => {
        if (e.from === 'open') resolve(e.reason);
      }),
    );
    expect(['socket-closed', 'heartbeat-timeout']).toContain(await dropped);
    expect(c.transport.stats.keepalivePings).toBe(0);
  }, 30_000);
});
