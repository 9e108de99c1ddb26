// A server that never answers one publish (no ack, no error) while it keeps the socket
// alive with pings: the publish, and whenFlushed(), waited until some unrelated reconnect.
// outbox.ackTimeoutMs treats that connection as broken; the reconnect re-sends the publish.
import { describe, expect, it } from 'vitest';
import { isLifelineError } from '../src';
import { ack, flushPromises, settle, setup } from './support/harness';

/** The server pings every second for `ms`: the socket is never silent. */
const pingFor = (h: ReturnType<typeof setup>, ms: number) => {
  for (let i = 0; i < ms / 1000; i++) {
    h.clock.advance(1000);
    if (h.client.state === 'open') h.sock.push({ type: 'ping' });
  }
};

describe('outbox.ackTimeoutMs', () => {
  it('tears down a live connection whose server never answers a publish, and re-sends it with the same id on the next one', async () => {
    const h = setup({ outbox: { ackTimeoutMs: 10_000 }, reconnect: { jitter: 'none', initialDelayMs: 500 } });
    const s1 = h.accept({ heartbeatMs: 1000 });
    const p = settle(h.client.publish('room', 'hello', { id: 'm1' }));
    const flushed = settle(h.client.whenFlushed());
    const [sent] = s1.frames('pub');
    pingFor(h, 9000);
    expect(h.client.state).toBe('open'); // not before the timeout
    pingFor(h, 1000);
    expect(h.client.state).toBe('closed');
    expect(h.states.at(-1)).toMatchObject({ reason: 'ack-timeout', closeCode: 4202, retryInMs: 500 });
    expect(s1.terminated).toBe(true);
    expect(p.done).toBe(false); // not rejected: still owed, re-sent below
    h.clock.advance(500);
    const s2 = h.accept({ heartbeatMs: 1000 });
    expect(s2).not.toBe(s1);
    const [again] = s2.frames('pub');
    expect(again).toEqual(sent); // same id, same ref, same bytes
    ack(h, again, 7, true);
    await flushPromises();
    expect(p.value).toEqual({ offset: 7, epoch: 'e1', duplicate: true });
    expect(flushed.done).toBe(true);
  });

  it('counts from each send: publishes answered in time keep the connection, and the default is 30 s', async () => {
    const h = setup();
    const s = h.accept({ heartbeatMs: 1000 });
    for (let i = 0; i < 5; i++) {
      const p = settle(h.client.publish('room', i));
      pingFor(h, 20_000);
      ack(h, s.frames('pub').at(-1), i + 1);
      await flushPromises();
      expect(p.done).toBe(true);
    }
    expect(h.client.state).toBe('open'); // 100 s of publishes, none waited 30 s
    void h.client.publish('room', 'lost').catch(() => {});
    pingFor(h, 29_000);
    expect(h.client.state).toBe('open');
    pingFor(h, 1000);
    expect(h.states.at(-1)).toMatchObject({ reason: 'ack-timeout' });
  });

  it('Infinity waits forever; 0 is refused', () => {
    const h = setup({ outbox: { ackTimeoutMs: Infinity } });
    h.accept({ heartbeatMs: 1000 });
    void h.client.publish('room', 1);
    pingFor(h, 600_000);
    expect(h.client.state).toBe('open');
    let err: unknown;
    try {
      setup({ outbox: { ackTimeoutMs: 0 } });
    } catch (e) {
      err = e;
    }
    expect(isLifelineError(err, 'BAD_ARGUMENT')).toBe(true);
  });
});
