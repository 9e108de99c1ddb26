// Review of the heartbeat cap and the backoff for welcome-then-close loops: a user's
// shorter heartbeat.timeoutMs must still see pongs, and a refused attempt between two
// welcome-then-close rounds (a server restarting) must not restart that backoff.
import { describe, expect, it } from 'vitest';
import { setup } from './support/harness';

describe('heartbeat cap', () => {
  it('with a user timeoutMs of 45 s and a server announcing no bound (2^53-1), the client pings often enough to stay alive', () => {
    const h = setup({ heartbeat: { timeoutMs: 45_000 } });
    h.accept({ heartbeatMs: 2 ** 53 - 1 });
    let answered = 0; // the server only answers pings
    for (let i = 0; i < 180; i++) {
      h.clock.advance(1000);
      const pings = h.sock.frames('ping');
      for (const f of pings.slice(answered)) h.sock.push({ type: 'pong', t: f.t });
      answered = pings.length;
    }
    expect(h.states.map((x) => x.reason)).not.toContain('heartbeat-timeout');
  });
});

describe('welcome-then-close backoff', () => {
  it('keeps growing when a refused attempt (1006, the server restarting) comes between the 1011 closes', () => {
    const h = setup({ reconnect: { jitter: 'none' } });
    const rowDelays: unknown[] = [];
    for (let i = 0; i < 4; i++) {
      h.accept({ heartbeatMs: 15_000 });
      h.sock.serverClose(1011, 'internal error');
      const st = h.states.at(-1)!;
      rowDelays.push(st.retryInMs);
      h.clock.advance(st.retryInMs!);
      h.sock.serverClose(1006, 'ECONNREFUSED');
      h.clock.advance(h.states.at(-1)!.retryInMs!);
    }
    expect(rowDelays).toEqual([500, 1000, 2000, 4000]);
  });
});
