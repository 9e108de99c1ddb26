import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { createManualClock } from '@lifeline/core/testing';
import { SocketFlow } from '../src/socketFlow';
import { waitFor } from './fixtures/fakeChannel';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A real loopback socket pair; returns the client end and the frames the server received. */
async function pair() {
  const http = createHttpServer();
  const wss = new WebSocketServer({ server: http });
  const received: string[] = [];
  wss.on('connection', (ws) => ws.on('message', (d) => received.push(d.toString())));
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const ws = new WebSocket(`ws://127.0.0.1:${(http.address() as AddressInfo).port}`);
  await new Promise((r) => ws.once('open', r));
  cleanups.push(async () => {
    ws.terminate();
    for (const c of wss.clients) c.terminate();
    await new Promise<void>((r) => wss.close(() => http.close(() => r())));
  });
  return { ws, received };
}

describe('SocketFlow', () => {
  it('pauses while any owner asks and resumes when the last one releases', async () => {
    const { ws } = await pair();
    const flow = new SocketFlow(createManualClock());
    flow.attach(ws);
    const a = {};
    const b = {};
    flow.requestPause(a);
    flow.requestPause(b);
    expect(ws.isPaused).toBe(true);
    expect(flow.stats.pauses).toBe(1);
    flow.releasePause(a);
    expect(ws.isPaused).toBe(true);
    flow.releasePause(b);
    expect(ws.isPaused).toBe(false);
    expect(flow.stats.resumes).toBe(1);
  });

  it('while paused, pings the server and lets one read through every pausedKeepaliveMs (injected clock)', async () => {
    const { ws, received } = await pair();
    const clock = createManualClock();
    const flow = new SocketFlow(clock, { pausedKeepaliveMs: 5000 });
    flow.attach(ws);
    const owner = {};
    flow.requestPause(owner);
    clock.advance(4999);
    expect(flow.stats.keepalivePings).toBe(0);
    clock.advance(1);
    expect(flow.stats).toMatchObject({ keepalivePings: 1, breathers: 1 });
    expect(ws.isPaused).toBe(false);
    await waitFor(() => received.length === 1, 5000, 'ping at the server');
    expect(JSON.parse(received[0]!)).toMatchObject({ type: 'ping' });
    flow.requestPause(owner); // the next message over the high-water mark
    expect(ws.isPaused).toBe(true);
    expect(flow.stats.pauses).toBe(2);
  });

  it('lets one read through when core sends its token in band while paused (its answer schedules the next renewal)', async () => {
    const { ws } = await pair();
    const flow = new SocketFlow(createManualClock(), { pausedKeepaliveMs: 60_000 });
    flow.attach(ws);
    flow.requestPause({});
    expect(ws.isPaused).toBe(true);
    ws.send('{"type":"auth","ref":7,"token":"t"}');
    flow.sent(ws, '{"type":"auth","ref":7,"token":"t"}');
    expect(ws.isPaused).toBe(false);
    expect(flow.stats).toMatchObject({ authReads: 1, pingReads: 0, ackReads: 0 });
  });

  it('stops letting reads through once maxBufferedMessages are buffered, but keeps pinging the server', async () => {
    const { ws, received } = await pair();
    const clock = createManualClock();
    const flow = new SocketFlow(clock, { pausedKeepaliveMs: 1000, maxBufferedMessages: 10 });
    flow.attach(ws);
    flow.setBufferedCounter(() => 10);
    flow.requestPause({});
    clock.advance(3000);
    expect(flow.stats).toMatchObject({ keepalivePings: 3, breathers: 0 });
    expect(ws.isPaused).toBe(true);
    await waitFor(() => received.length === 3, 5000, 'three pings');
  });

  it('forgets a closed socket and applies nothing to it', async () => {
    const { ws } = await pair();
    const flow = new SocketFlow(createManualClock());
    flow.attach(ws);
    ws.close();
    await waitFor(() => flow.current === null, 5000, 'socket detached');
    flow.requestPause({});
    expect(flow.paused).toBe(false);
  });
});
