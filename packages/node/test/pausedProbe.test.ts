import { describe, expect, it } from 'vitest';
import { createManualClock } from '@lifeline/core/testing';
import type { StateChange } from '@lifeline/core';
import { createNodeClient } from '../src/index';
import { waitFor } from './fixtures/fakeChannel';
import { publishHttp } from './fixtures/publishHttp';
import { useTestServer } from './fixtures/testServer';
import { useTracker } from './fixtures/tracker';

// A loop body that blocks the event loop for longer than core's jumpThresholdMs (5 s: a
// synchronous batch, a long GC pause) makes core probe the connection: it pings and
// declares the socket dead unless some frame arrives within probeTimeoutMs (5 s). While
// the socket is paused for backpressure nothing is read, so every such body cost a
// reconnect (code 4202) although the connection was fine.

const testServer = useTestServer();
const clients = useTracker();

describe("core's liveness probe while the socket is paused", () => {
  it('lets one read through for the probe ping, so a long-blocked loop body does not cost a reconnect', async () => {
    const clock = createManualClock(Date.now());
    // The keepalive read is far away: only the probe's own read can save the connection.
    const client = createNodeClient({ url: testServer.url, clock, flowControl: { pausedKeepaliveMs: 60_000 } });
    clients.add(client);
    const states: StateChange[] = [];
    client.on('state', (e) => states.push(e));
    const channel = client.channel<{ n: number }>('batch');
    const iterator = channel.messages({ highWaterMark: 4, lowWaterMark: 1 });
    const first = iterator.next();
    await waitFor(() => channel.channel?.getSnapshot().state === 'subscribed', 10_000, 'subscribed');
    await publishHttp(testServer.httpUrl, 'batch', { n: 1 });
    await first;
    // The body of message 1 runs long while 40 more arrive: the socket pauses over the mark.
    for (let n = 2; n <= 41; n++) await publishHttp(testServer.httpUrl, 'batch', { n });
    await waitFor(() => client.transport.paused && iterator.buffered >= 4, 10_000, 'paused over the high-water mark');
    const bufferedBefore = iterator.buffered;

    // The event loop was blocked 6.5 s: core's next check is late by more than 5 s and probes.
    clock.jump(6_500);
    await waitFor(() => client.transport.stats.pingReads === 1, 5_000, 'one read let through for the probe');
    await waitFor(() => client.transport.paused && iterator.buffered > bufferedBefore, 5_000, 'a frame read, then paused again');
    // No frame would have reached core within probeTimeoutMs without that read.
    clock.advance(5_000);
    expect(client.state).toBe('open');
    expect(states.filter((s) => s.to !== 'open')).toEqual([]);
    expect(client.stats().reconnects).toBe(0);
    expect(client.transport.stats.breathers).toBe(0); // no keepalive read was involved
    expect(iterator.buffered - bufferedBefore).toBeLessThanOrEqual(4); // one read, not a flood

    // Nothing skipped: the whole backlog, in order, on the same connection.
    const seen = [1];
    while (seen.length < 41) seen.push((await iterator.next()).value!.data.n);
    expect(seen).toEqual(Array.from({ length: 41 }, (_, i) => i + 1));
    expect(client.stats().reconnects).toBe(0);
    await iterator.return();
  }, 30_000);
});
