// The liveness probe waits twice the handshake's time (socket to welcome, read on the wall
// clock). A wall clock stepped forward while the handshake ran (NTP correcting a device's
// clock at boot or after a resume, a VM restored) counts the step as handshake time: a step
// of 10 minutes made every probe of that connection wait 20 minutes, so `visible`/`online`
// found a dead socket only at the heartbeat timeout. The handshake cannot have taken longer
// than its own deadline (handshakeTimeoutMs, timed by the host's timers, which the wall
// clock's steps do not move).
import { describe, expect, it } from 'vitest';
import type { Clock } from '../src';
import { createManualClock } from '../src/testing';
import { setup } from './support/harness';

describe('probe deadline after a wall-clock step during the handshake', () => {
  it('a silent socket is declared dead within twice handshakeTimeoutMs of the probe, not at the heartbeat timeout', () => {
    const manual = createManualClock(1_000_000);
    let step = 0;
    const clock: Clock = { now: () => manual.now() + step, setTimeout: manual.setTimeout, clearTimeout: manual.clearTimeout };
    const h = setup({ clock, handshakeTimeoutMs: 10_000, reconnect: { jitter: 'none', initialDelayMs: 30_000 } });
    manual.advance(200); // the socket opens; the hello is on its way
    step = 10 * 60_000; // NTP steps the wall clock 10 minutes forward meanwhile
    manual.advance(100);
    h.accept();
    expect(h.client.state).toBe('open');
    manual.advance(1000);
    h.lifecycle.emit('visible'); // the network died while hidden: the ping is never answered
    expect(h.sock.frames('ping').length).toBeGreaterThan(0);
    manual.advance(20_000); // twice the handshake deadline
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason: 'heartbeat-timeout' });
  });
});
