// Many clients, few timers: the periodic check is one timer per clock and interval, and
// channels are routed by name whether the client holds a few or many.
import { describe, expect, it } from 'vitest';
import { createClient } from '../src';
import { createManualClock } from '../src/testing';
import { FakeSocket, welcomeFrame } from './support/fakeSocket';
import { flushPromises } from './support/harness';

const open = (clock: ReturnType<typeof createManualClock>, over: Record<string, unknown> = {}) => {
  const client = createClient({ url: 'ws://test/v1', WebSocket: FakeSocket as any, clock, lifecycle: false, ...over });
  const sock = FakeSocket.all[FakeSocket.all.length - 1]!;
  sock.open();
  sock.push(welcomeFrame());
  return { client, sock };
};

describe('shared periodic check', () => {
  it('ten open clients on one clock arm one timer; it stops when the last one closes', async () => {
    FakeSocket.all = [];
    const clock = createManualClock(1_000_000);
    const all = Array.from({ length: 10 }, () => open(clock));
    expect(all.every((c) => c.client.state === 'open')).toBe(true);
    expect(clock.pending()).toBe(1);
    for (const { client, sock } of all.slice(0, 9)) {
      const closed = client.close();
      sock.serverClose(1000);
      await closed;
    }
    expect(clock.pending()).toBe(1); // the last client still needs its checks
    const last = all[9]!;
    const closed = last.client.close();
    last.sock.serverClose(1000);
    await closed;
    expect(clock.pending()).toBe(0);
  });

  it('every client still gets its own liveness verdict from the shared timer', () => {
    FakeSocket.all = [];
    const clock = createManualClock(1_000_000);
    const a = open(clock, { heartbeat: { timeoutMs: 5000 } });
    const b = open(clock, { heartbeat: { timeoutMs: 5000 } });
    clock.advance(3000);
    b.sock.push({ type: 'ping', t: 1 }); // only b hears from its server
    clock.advance(3000);
    expect(a.sock.terminated).toBe(true);
    expect(b.sock.terminated).toBe(false);
    expect(b.client.state).toBe('open');
  });

  it('clients with another checkIntervalMs get a timer of their own', () => {
    FakeSocket.all = [];
    const clock = createManualClock(1_000_000);
    open(clock);
    open(clock, { heartbeat: { checkIntervalMs: 250 } });
    expect(clock.pending()).toBe(2);
  });
});

describe('channel routing by name', () => {
  it('routes messages to the right channel with 3 and with 20 channels (linear scan, then a map)', async () => {
    for (const count of [3, 20]) {
      FakeSocket.all = [];
      const clock = createManualClock(1_000_000);
      const { client, sock } = open(clock);
      const got: Record<string, number[]> = {};
      for (let i = 0; i < count; i++) {
        const name = `ch-${i}`;
        got[name] = [];
        client.channel<number>(name).subscribe((m) => void got[name]!.push(m.data));
      }
      for (const f of sock.frames('sub')) sock.push({ type: 'subscribed', ref: f.ref, channel: f.channel, offset: 0, epoch: 'e1' });
      for (let i = count - 1; i >= 0; i--) sock.push({ type: 'msg', channel: `ch-${i}`, offset: 1, epoch: 'e1', data: i, id: `m${i}` });
      await flushPromises();
      for (let i = 0; i < count; i++) expect(got[`ch-${i}`]).toEqual([i]);
      expect(client.channel('ch-0')).toBe(client.channel('ch-0'));
      expect(client.channel(`ch-${count - 1}`).name).toBe(`ch-${count - 1}`);
    }
  });
});
