import { describe, expect, it } from 'vitest';
import { expectIntact, smallStorm } from './stormRun';

describe('scenarios that break the network (chaos proxy)', () => {
  it('blip: every socket cut, server up; all back, 0 / 0 / 0', async () => {
    const r = await smallStorm({ scenario: 'blip' });
    expectIntact(r);
    expect(r.attempts).toBeGreaterThanOrEqual(r.clients);
    expect(r.attemptsPerClient).toBeLessThanOrEqual(2);
    expect(r.notes.join(' ')).toMatch(/200 cut/);
    // every client came back through a handshake the server accepted
    expect(r.serverAccepted!).toBeGreaterThanOrEqual(r.clients);
  }, 90_000);

  it('half-open: blackholed connections are detected by heartbeat and replaced', async () => {
    const r = await smallStorm({ scenario: 'half-open', heartbeatMs: 1000 });
    expectIntact(r);
    expect(r.attempts).toBeGreaterThanOrEqual(r.clients);
    // nobody can notice a silent connection before the heartbeat says so
    expect(r.attemptsPerBin.slice(0, 10).reduce((a, b) => a + b, 0)).toBe(0);
  }, 90_000);

  it('flaky: random cuts and latency for a while; the stream stays intact', async () => {
    const r = await smallStorm({ scenario: 'flaky', durationMs: 6000 });
    expectIntact(r);
    expect(r.attempts).toBeGreaterThan(0);
  }, 90_000);
});

describe('an external target', () => {
  it('blip against a server storm did not start (--target), path given or not', async () => {
    const { createServer } = await import('@lifeline/server');
    const server = await createServer({ port: 0, maxHandshakesPerSec: 500 });
    try {
      const r = await smallStorm({ scenario: 'blip', target: `${server.url}/v1` });
      expectIntact(r);
      expect(r.attempts).toBeGreaterThanOrEqual(r.clients);
      // storm cannot read an external server's counters: null, and the notes say why
      expect([r.serverAccepted, r.serverAcceptedPeakPerSec]).toEqual([null, null]);
      expect(r.notes.join(' | ')).toContain('server-side accepts not measured');
    } finally {
      await server.close();
    }
  }, 90_000);

  it('refuses scenarios that must restart the server', async () => {
    await expect(smallStorm({ scenario: 'restart', target: 'ws://127.0.0.1:1' })).rejects.toThrow(/needs the embedded one/);
    await expect(smallStorm({ scenario: 'blip', target: 'ws://192.168.1.1:80' })).rejects.toThrow(/non-loopback/);
  });
});
