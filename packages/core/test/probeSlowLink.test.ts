// A liveness probe (a browser signal or a clock jump) gives the ping at least twice the
// time the connection's handshake took (socket to welcome): a fixed probeTimeoutMs (5 s) killed a working connection on
// a link slower than that at every app switch (visibilitychange), then paid the slow
// handshake and resubscribe again (a browser trial, CDP-delayed frames of 6 s).
import { describe, expect, it } from 'vitest';
import { setup } from './support/harness';

describe('liveness probe on a slow link', () => {
  it('waits twice the handshake time when that is longer than probeTimeoutMs', () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 30_000 } });
    h.clock.advance(6000); // socket to welcome: 6 s
    const s = h.accept();
    h.lifecycle.emit('visible');
    expect(s.frames('ping').length).toBe(1);
    h.clock.advance(6000); // past the 5 s default: the answer is still on its way
    expect(h.client.state).toBe('open');
    s.push({ type: 'pong', t: s.frames('ping')[0].t });
    h.clock.advance(20_000);
    expect(h.client.state).toBe('open');
  });

  it('still declares a silent socket dead, after twice the handshake time', () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 30_000 } });
    h.clock.advance(6000);
    h.accept();
    h.lifecycle.emit('visible');
    h.clock.advance(11_999);
    expect(h.client.state).toBe('open');
    h.clock.advance(1);
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason: 'heartbeat-timeout' });
  });

  it('a fast link keeps the probeTimeoutMs deadline', () => {
    const h = setup({ heartbeat: { probeTimeoutMs: 500 }, reconnect: { jitter: 'none', initialDelayMs: 30_000 } });
    h.accept();
    h.lifecycle.emit('visible');
    h.clock.advance(500);
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason: 'heartbeat-timeout' });
  });
});
