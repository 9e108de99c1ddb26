// `--broker redis://127.0.0.1:1` (nothing listening) ran the whole storm with every
// publish and subscribe failing, a stack trace each, then hung in EmbeddedFleet.close().
// The broker's Redis is now pinged up front (as 'auto' does), and close() is bounded.
import { describe, expect, it, vi } from 'vitest';

let neverCloses = false;
vi.mock('@lifeline/server', async (orig) => {
  const real = (await orig()) as typeof import('@lifeline/server');
  return {
    ...real,
    redisBroker: () => {
      const b = real.memoryBroker();
      // A broker whose connection to Redis is gone for good: its close() never settles.
      return neverCloses ? Object.assign(b, { close: () => new Promise<void>(() => {}) }) : b;
    },
  };
});
let pingAnswers: boolean | null = null; // null: the real PING
vi.mock('../src/sim/redisAdmin', async (orig) => {
  const real = (await orig()) as typeof import('../src/sim/redisAdmin');
  return { ...real, redisAnswers: (url: string) => (pingAnswers === null ? real.redisAnswers(url) : Promise.resolve(pingAnswers)) };
});

import { isStormError } from '../src/errors';
import { EmbeddedFleet } from '../src/sim/embedded';

describe('an explicit redis:// broker', () => {
  it('that does not answer PING fails the start at once with DEPENDENCY_MISSING naming --broker', async () => {
    pingAnswers = null;
    const t0 = Date.now();
    const e = await EmbeddedFleet.start(1, { admissionRate: 100, heartbeatMs: 5000, broker: 'redis://127.0.0.1:1' }).catch((x: unknown) => x);
    expect(isStormError(e, 'DEPENDENCY_MISSING'), String(e)).toBe(true);
    expect((e as Error).message).toBe('Redis at 127.0.0.1:1 does not answer PING (--broker redis://127.0.0.1:1): start it, or use --broker memory');
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('whose close() never settles does not hold EmbeddedFleet.close() past closeTimeoutMs', async () => {
    pingAnswers = true;
    neverCloses = true;
    const fleet = await EmbeddedFleet.start(1, { admissionRate: 100, heartbeatMs: 5000, broker: 'redis://127.0.0.1:1', closeTimeoutMs: 200 });
    const t0 = Date.now();
    const closed = await Promise.race([fleet.close().then(() => 'closed'), new Promise((r) => setTimeout(() => r('still waiting'), 3000))]);
    expect(closed).toBe('closed');
    expect(Date.now() - t0).toBeLessThan(3000);
  });
});
