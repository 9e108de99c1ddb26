import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { createChaosProxy, type ChaosProxy } from '../src/proxy/chaosProxy';

// A soak trial: 150 concurrent upgrades through [a refused port, a live server] lost 50
// to ECONNRESET. The retry after a refusal took the next value of the counter shared by
// every connection, which the other connects had moved on, so it could hit the dead
// target again. Each connection must try every target once, from its own first pick.

const CONNECTIONS = 50;

let proxy: ChaosProxy | undefined;
let live: WebSocketServer | undefined;
const sockets: WebSocket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  await proxy?.close();
  await new Promise<void>((r) => (live ? live.close(() => r()) : r()));
  proxy = undefined;
  live = undefined;
});

/** A loopback port that refuses: bound on port 0, then closed. */
async function refusingPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function liveServer(): Promise<{ wss: WebSocketServer; url: string }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  return { wss, url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}` };
}

/** Opens `n` WebSockets at once; each settles as 'open' or the error / close that ended it. */
function openAll(url: string, n: number): Promise<string[]> {
  return Promise.all(
    Array.from({ length: n }, () => {
      const ws = new WebSocket(url);
      sockets.push(ws);
      return new Promise<string>((settle) => {
        ws.once('open', () => settle('open'));
        ws.once('error', (e) => settle(`error ${e.message}`));
        ws.once('close', (code) => settle(`close ${code}`));
      });
    }),
  );
}

describe('chaos proxy: failover under concurrent connects', () => {
  it.each([
    ['[refused, live]', (dead: number, url: string) => [`127.0.0.1:${dead}`, url]],
    ['[live, refused, refused]', (dead: number, url: string) => [url, `127.0.0.1:${dead}`, `127.0.0.1:${dead}`]],
  ])(`${CONNECTIONS} connections at once through %s all reach the live target`, async (_, order) => {
    const dead = await refusingPort();
    const server = await liveServer();
    live = server.wss;
    let reached = 0;
    live.on('connection', () => reached++);
    proxy = await createChaosProxy({ target: order(dead, server.url) });

    const outcomes = await openAll(`${proxy.url}/`, CONNECTIONS);

    expect(outcomes.filter((o) => o !== 'open')).toEqual([]);
    expect(reached).toBe(CONNECTIONS);
    expect(proxy.stats()).toMatchObject({ accepted: CONNECTIONS, refused: 0 });
  });
});
