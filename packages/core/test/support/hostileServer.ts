import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import type WebSocketType from 'ws';
import { createClient, type ClientOptions, type LifelineClient, type StateChange } from '../../src';
import { createManualClock } from '../../src/testing';

type WS = WebSocketType;
/** Node's `ws` (core's dev dependency). */
const ws: typeof import('ws') = createRequire(import.meta.url)('ws');

/**
 * A minimal misbehaving server: a bare `ws` server on a loopback port 0 whose every
 * connection is handed to `onConnection` (which plays the server, right or wrong). The
 * client runs on a manual clock, so its timers (backoff, liveness) move only when the
 * test advances them; socket events are real.
 */
export async function hostile(onConnection: (sock: WS, frames: any[]) => void, options: Partial<ClientOptions> = {}) {
  const wss = new ws.WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const sockets: WS[] = [];
  /** Frames each connection received, by connection. */
  const received: any[][] = [];
  wss.on('connection', (sock) => {
    const frames: any[] = [];
    sockets.push(sock);
    received.push(frames);
    sock.on('message', (d) => frames.push(JSON.parse(String(d))));
    onConnection(sock, frames);
  });
  const clock = createManualClock(1_000_000);
  const states: StateChange[] = [];
  const errors: any[] = [];
  const client: LifelineClient = createClient({
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/v1`,
    clock,
    lifecycle: false,
    random: () => 0.5,
    ...options,
  });
  client.on('state', (s) => states.push(s));
  client.on('error', (e) => errors.push(e));
  return {
    client,
    clock,
    states,
    errors,
    sockets,
    received,
    /** Polls real time (bounded) until `cond` holds. */
    async until(cond: () => boolean, what: string, ms = 5000) {
      const end = Date.now() + ms;
      while (!cond()) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    async stop() {
      // The client first: closing the server under it would make it reconnect.
      clock.advance(0);
      const closing = client.close();
      // close() waits up to 1 s of the client's clock for the close handshake.
      clock.advance(1000);
      await closing;
      for (const s of sockets) s.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
    },
  };
}

/** A welcome frame as the reference server sends it, with `over` on top. */
export const welcome = (over: Record<string, unknown> = {}) =>
  JSON.stringify({ type: 'welcome', v: 1, session: 's_1', heartbeatMs: 15_000, serverTime: 0, limits: { maxFrameBytes: 65_536, maxChannels: 100, publishPerSec: 100, publishBurst: 100 }, ...over });

/**
 * A server that welcomes every hello and records every `sub`, answering it with what
 * `answer` returns (nothing: the test answers itself); `send` writes a frame (an object,
 * or raw text) to the latest connection. Pass `onConnection` to {@link hostile}.
 */
export function welcoming(answer?: (sub: any) => object | undefined) {
  const subs: any[] = [];
  let latest: WS | undefined;
  const send = (f: unknown) => latest!.send(typeof f === 'string' ? f : JSON.stringify(f));
  return {
    subs,
    send,
    onConnection(sock: WS) {
      latest = sock;
      sock.on('message', (d) => {
        const f = JSON.parse(String(d));
        if (f.type === 'hello') sock.send(welcome());
        if (f.type === 'sub') {
          subs.push(f);
          const a = answer?.(f);
          if (a) send(a);
        }
      });
    },
  };
}
