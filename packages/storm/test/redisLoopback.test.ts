// The embedded fleet's loopback check for `--broker redis://HOST` accepted any host name
// starting with "127." (e.g. 127.attacker.example). It now uses storm's isLoopbackHost.
// The Redis broker is replaced by a recording stub: nothing leaves this machine.
import { describe, expect, it, vi } from 'vitest';

const seen: string[] = [];
vi.mock('@lifeline/server', async (orig) => {
  const real = (await orig()) as typeof import('@lifeline/server');
  return {
    ...real,
    redisBroker: (o: { url: string }) => {
      seen.push(o.url);
      return real.memoryBroker();
    },
  };
});

// Nothing listens at these URLs: the up-front PING is answered for the stub.
vi.mock('../src/sim/redisAdmin', async (orig) => ({ ...((await orig()) as object), redisAnswers: async () => true }));

import { isStormError } from '../src/errors';
import { isLoopbackHost } from '../src/proxy/address';
import { EmbeddedFleet } from '../src/sim/embedded';

async function verdict(broker: string): Promise<string> {
  try {
    const fleet = await EmbeddedFleet.start(1, { admissionRate: 100, heartbeatMs: 5000, broker });
    await fleet.close();
    return 'accepted';
  } catch (e) {
    return isStormError(e) ? e.code : String(e);
  }
}

describe('--broker redis:// is loopback only', () => {
  it('refuses redis://127.attacker.example:6379 with NON_LOOPBACK (as it refuses redis://10.0.0.1)', async () => {
    expect(isLoopbackHost('127.attacker.example')).toBe(false);
    expect(await verdict('redis://127.attacker.example:6379')).toBe('NON_LOOPBACK');
    expect(await verdict('redis://10.0.0.1:6379')).toBe('NON_LOOPBACK');
    expect(seen, 'Redis URLs handed to the broker').toEqual([]);
  });

  it('still hands loopback URLs (127.0.0.1, [::1], localhost) to the broker', async () => {
    for (const url of ['redis://127.0.0.1:6379', 'redis://[::1]:6379', 'redis://localhost:6379']) {
      expect(await verdict(url), url).toBe('accepted');
    }
    expect(seen).toEqual(['redis://127.0.0.1:6379', 'redis://[::1]:6379', 'redis://localhost:6379']);
  });
});
