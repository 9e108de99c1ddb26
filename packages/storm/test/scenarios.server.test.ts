import { describe, expect, it } from 'vitest';
import { expectIntact, smallStorm } from './stormRun';

// Small real storms (200 @lifeline/core clients, embedded server, real sockets).
// They assert invariants with generous margins, not timings: the CPUs are shared.
describe('scenarios that restart the server', () => {
  it('restart: everyone reconnects after the server comes back; 0 lost / duplicated / reordered', async () => {
    const r = await smallStorm({ scenario: 'restart' });
    expectIntact(r);
    expect(r.gaps).toBe(0); // the log outlived the process (shared broker)
    expect(r.attempts).toBeGreaterThanOrEqual(r.clients); // everyone had to come back
    // the server saw the wave too: one accepted handshake per client at least, and never
    // more in a second than its bucket allows (burst C + C refilled per second)
    expect(r.serverAccepted!).toBeGreaterThanOrEqual(r.clients);
    expect(r.serverAcceptedPeakPerSec!).toBeGreaterThan(0);
    expect(r.serverAcceptedPeakPerSec!).toBeLessThanOrEqual(2 * r.admissionRate!);
  }, 90_000);

  it('restart with a volatile log: continuity loss is announced as a gap, never silent', async () => {
    const r = await smallStorm({ scenario: 'restart', broker: 'volatile' });
    expectIntact(r);
    expect(r.gaps).toBeGreaterThanOrEqual(r.clients); // every subscriber said "epoch changed"
  }, 90_000);

  it('drain with the server hint: attempts spread over the window, ~1 attempt per client', async () => {
    const r = await smallStorm({ scenario: 'drain', serverHint: true });
    expectIntact(r); // everyone came back: the next attempts went to the new node (no proxy in between)
    expect(r.notes.join(' ')).toContain('connecting straight to the servers');
    expect(r.attemptsPerClient).toBeLessThanOrEqual(1.5);
    expect(r.peakOverCapacity!).toBeLessThanOrEqual(1.5);
    expect(r.refused).toBeLessThanOrEqual(r.clients * 0.2);
  }, 90_000);

  it("drain with storm's lite client (slot-aware, no @lifeline/core): ~1 attempt per client, nothing lost", async () => {
    const r = await smallStorm({ scenario: 'drain', serverHint: true, client: 'lite' });
    expectIntact(r);
    expect(r.attemptsPerClient).toBeLessThanOrEqual(1.5);
    expect(r.peakOverCapacity!).toBeLessThanOrEqual(1.5);
  }, 90_000);

  it('rolling: two nodes replaced one after the other; clients move between them without loss', async () => {
    const r = await smallStorm({ scenario: 'rolling', broker: 'memory' }); // Redis: scenarios.redis.test.ts
    expectIntact(r);
    expect(r.gaps).toBe(0);
  }, 90_000);
});
