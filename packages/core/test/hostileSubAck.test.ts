// A real misbehaving server (support/hostileServer.ts) that answers pings but swallows
// the first connection's `sub` and `presence.enter`: the channel sat in 'subscribing'
// for good, its messages ignored. The client's timers run on a manual clock.
import { afterEach, describe, expect, it } from 'vitest';
import { hostile, welcome } from './support/hostileServer';

let stop: (() => Promise<void>) | null = null;
afterEach(async () => {
  await stop?.();
  stop = null;
});

describe('a server that never answers a sub or an enter but keeps pinging', () => {
  it('after outbox.ackTimeoutMs the connection is re-established; the channel subscribes, enters and receives', async () => {
    let conns = 0;
    const s = await hostile(
      (ws) => {
        const conn = ++conns;
        ws.on('message', (d) => {
          const f = JSON.parse(String(d));
          const send = (x: object) => ws.send(JSON.stringify(x));
          if (f.type === 'hello') ws.send(welcome({ heartbeatMs: 1000 }));
          if (f.type === 'ping') send({ type: 'pong', t: f.t });
          // The first connection swallows both; the second answers, then sends a message.
          if (conn < 2) return;
          if (f.type === 'presence.enter') send({ type: 'presence.ok', ref: f.ref, channel: f.channel });
          if (f.type === 'sub') {
            send({ type: 'subscribed', ref: f.ref, channel: f.channel, epoch: 'e1', offset: 0, recovered: true, replay: 0 });
            send({ type: 'msg', channel: f.channel, offset: 1, epoch: 'e1', data: 'hi', id: 'p1' });
          }
        });
      },
      { outbox: { ackTimeoutMs: 5000 }, reconnect: { jitter: 'none', initialDelayMs: 100 } },
    );
    stop = s.stop;
    await s.until(() => s.client.state === 'open', 'open');
    const ch = s.client.channel('room');
    const got: unknown[] = [];
    ch.subscribe((m) => void got.push(m.data));
    let entered = false;
    void ch.presence.enter({ n: 1 }).then(() => (entered = true));
    await s.until(() => s.received[0]!.some((f) => f.type === 'sub') && s.received[0]!.some((f) => f.type === 'presence.enter'), 'the sub and the enter');
    for (let i = 0; i < 5; i++) {
      s.clock.advance(1000); // the client pings, the server answers: alive
      await new Promise((r) => setTimeout(r, 10));
    }
    await s.until(() => s.client.state === 'closed', 'ack timeout');
    expect(s.states.at(-1)).toMatchObject({ reason: 'ack-timeout', closeCode: 4202, retryInMs: 100 });
    expect(ch.getSnapshot().state).toBe('subscribing');
    s.clock.advance(100);
    await s.until(() => got.length === 1 && entered, 'subscribed, entered and a message on the next connection');
    expect(got).toEqual(['hi']);
    expect(ch.getSnapshot().state).toBe('subscribed');
  });
});
