// `options.url` is read at each connection attempt (the options object is kept as given):
// a `state` listener may point the next attempt at another server, the README's recipe for
// several servers without a load balancer (a client drained off one server tries another).
import { describe, expect, it } from 'vitest';
import { createClient, type ClientOptions } from '../src';
import { createManualClock, createManualLifecycle } from '../src/testing';
import { FakeSocket, welcomeFrame } from './support/fakeSocket';

describe('url per attempt', () => {
  it('a url set from a connecting listener is the url of that attempt; a drained server is not tried next', () => {
    FakeSocket.all = [];
    const servers = ['ws://a/v1', 'ws://b/v1', 'ws://c/v1'];
    const options: ClientOptions = { url: servers[0]!, WebSocket: FakeSocket as any, clock: createManualClock(0), lifecycle: createManualLifecycle(), random: () => 0.5 };
    const client = createClient(options);
    let avoid: string | undefined;
    client.on('state', (s) => {
      if (s.to === 'closed') avoid = options.url;
      if (s.to === 'connecting' && s.reason !== 'connect') options.url = servers.find((u) => u !== avoid)!;
    });
    client.connect();
    const first = FakeSocket.all[0]!;
    expect(first.url).toBe('ws://a/v1');
    first.open();
    first.push(welcomeFrame());
    first.push({ type: 'drain', reconnectWindowMs: 1000 });
    first.serverClose(1012);
    (options.clock as ReturnType<typeof createManualClock>).advance(client.getSnapshot().retryInMs!);
    expect(FakeSocket.all.map((s) => s.url)).toEqual(['ws://a/v1', 'ws://b/v1']);
  });
});
