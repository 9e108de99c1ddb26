// The options object is kept as given, as core keeps its own: what core reads at each
// connection attempt (url, agent, handshakeTimeoutMs) and the transport options are read
// from the caller's object then. createNodeClient made a copy for core, so core's
// "several servers without a load balancer" recipe (a state listener assigning
// options.url) left every attempt on the first server.
import { Agent as HttpAgent, type ClientRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { memoryBroker } from '@lifeline/server';
import type { StateChange } from '@lifeline/core';
import { createNodeClient, isLifelineNodeError, type NodeClientOptions } from '../src/index';
import { waitFor } from './fixtures/fakeChannel';
import { createNodeTimerClock } from './fixtures/nodeTimerClock';
import { publishHttp } from './fixtures/publishHttp';
import { startTestServer } from './fixtures/testServer';
import { useTracker } from './fixtures/tracker';

const open = useTracker();
const fast = { initialDelayMs: 20, maxDelayMs: 50 };

/** A raw WebSocket server on a free loopback port; `onConnection` decides what each socket gets. */
async function rawServer(onConnection: (ws: import('ws').WebSocket, req: import('node:http').IncomingMessage) => void) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  wss.on('connection', onConnection);
  await new Promise<void>((r) => wss.once('listening', () => r()));
  return open.add({
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/v1`,
    close: () =>
      new Promise<void>((r) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close(() => r());
      }),
  });
}

describe('options read at each connection attempt', () => {
  it('a state listener assigning options.url moves the client to another server, which resumes the subscription exactly once', async () => {
    // One log for both servers (as with a shared Redis broker): positions carry over.
    const broker = memoryBroker();
    const a = open.add(await startTestServer({ broker }));
    const b = await startTestServer({ broker });
    open.add({ close: async () => (await b.close(), await broker.close()) });

    const options: NodeClientOptions = { url: a.url, reconnect: fast };
    const client = open.add(createNodeClient(options));
    const openedOn: string[] = [];
    client.on('state', (s) => {
      if (s.to === 'connecting' && s.reason !== 'connect') options.url = b.url;
      if (s.to === 'open') openedOn.push(client.transport.socket!.url);
    });

    const got: number[] = [];
    const loop = (async () => {
      for await (const m of client.channel<{ n: number }>('moved').messages()) {
        got.push(m.data.n);
        if (got.length === 10) break;
      }
    })();
    await waitFor(() => client.channel('moved').channel?.getSnapshot().state === 'subscribed', 5000, 'subscribed on A');
    for (let n = 1; n <= 5; n++) await publishHttp(a.httpUrl, 'moved', { n }, `moved-${n}`);
    await waitFor(() => got.length === 5, 5000, 'messages 1-5 from A');

    await a.close();
    for (let n = 6; n <= 10; n++) await publishHttp(b.httpUrl, 'moved', { n }, `moved-${n}`);
    await waitFor(() => got.length === 10, 5000, 'messages 6-10 after moving to B');
    await loop;

    expect(got).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(openedOn).toEqual([a.url, b.url]);
  });

  it('hello agent text and upgrade headers assigned by a state listener go out on the next attempt', async () => {
    const seen: { agent: unknown; team: unknown }[] = [];
    const server = await rawServer((ws, req) => {
      ws.once('message', (data) => {
        seen.push({ agent: JSON.parse(String(data)).agent, team: req.headers['x-team'] });
        ws.terminate(); // a dropped connection: core retries
      });
    });
    const options: NodeClientOptions = { url: server.url, agent: 'billing/1', headers: { 'x-team': 'a' }, reconnect: fast };
    const client = open.add(createNodeClient(options));
    client.on('state', (s) => {
      if (s.to !== 'connecting' || s.reason === 'connect') return;
      options.agent = 'billing/2';
      options.headers = { 'x-team': 'b' };
    });
    await waitFor(() => seen.length >= 2, 5000, 'two hellos');
    expect(seen.slice(0, 2)).toEqual([
      { agent: 'billing/1', team: 'a' },
      { agent: 'billing/2', team: 'b' },
    ]);
  });

  it('an http.Agent assigned by a state listener carries the next upgrade', async () => {
    const server = await rawServer((ws) => ws.terminate());
    const used: string[] = [];
    const counting = (name: string) => {
      const agent = new HttpAgent();
      const addRequest = (agent as unknown as { addRequest: (req: ClientRequest, o: unknown) => void }).addRequest.bind(agent);
      (agent as unknown as { addRequest: unknown }).addRequest = (req: ClientRequest, o: unknown) => {
        used.push(name);
        addRequest(req, o);
      };
      return agent;
    };
    const first = counting('first');
    const second = counting('second');
    const options: NodeClientOptions = { url: server.url, agent: first, reconnect: fast };
    const client = open.add(createNodeClient(options));
    client.on('state', (s) => {
      if (s.to === 'connecting' && s.reason !== 'connect') options.agent = second;
    });
    await waitFor(() => used.includes('second'), 5000, 'an upgrade through the second agent');
    expect(used[0]).toBe('first');
    expect(used.slice(1).every((n) => n === 'second')).toBe(true);
    await client.close();
    first.destroy();
    second.destroy();
  });

  it('handshakeTimeoutMs assigned after creation is the next attempt\'s wait for welcome (manual clock)', async () => {
    const server = await rawServer(() => {}); // accepts, never welcomes
    const clock = createNodeTimerClock();
    const options: NodeClientOptions = { url: server.url, handshakeTimeoutMs: 1000, autoConnect: false, clock };
    const client = open.add(createNodeClient(options));
    const changes: StateChange[] = [];
    client.on('state', (s) => changes.push(s));
    options.handshakeTimeoutMs = 5000;
    client.connect();
    clock.advance(1000);
    expect(client.state).toBe('connecting');
    clock.advance(4000);
    expect(client.state).toBe('closed');
    expect(changes.at(-1)).toMatchObject({ to: 'closed', reason: 'handshake-timeout' });
  });

  it('a url assigned later that breaks a transport rule (ws:// with tls) stops the client with BAD_OPTION as the cause, no socket made', async () => {
    const options: NodeClientOptions = { url: 'wss://127.0.0.1:1/v1', tls: { rejectUnauthorized: true }, autoConnect: false, reconnect: fast };
    const client = open.add(createNodeClient(options));
    const changes: StateChange[] = [];
    client.on('state', (s) => changes.push(s));
    client.on('error', () => {});
    options.url = 'ws://127.0.0.1:1/v1';
    client.connect();
    await waitFor(() => client.state === 'closed', 5000, 'stopped');
    const stop = changes.at(-1)!;
    expect(stop).toMatchObject({ to: 'closed', reason: 'terminal', retryInMs: null });
    expect(stop.error?.code).toBe('BAD_ARGUMENT');
    const cause = stop.error?.cause;
    expect(isLifelineNodeError(cause) && cause.code).toBe('BAD_OPTION');
    expect((cause as Error).message).toMatch(/tls options are set but the url is ws:\/\//);
    expect(client.transport.socket).toBeNull();
    expect(client.transport.lastError).toBeNull();
  });
});
