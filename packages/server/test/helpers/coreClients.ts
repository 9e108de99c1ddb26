// For tests that run the reference core client against a real server, both on one manual clock.
import { afterEach } from 'vitest';
import type { LifelineClient } from '@lifeline/core';
import type { LifelineServer } from '../../src/index';
import { subscribeBurst } from '../../src/session/subscribeRate';
import { waitFor } from './waitFor';

/** A fixed start for the manual clock (token expiries and hints are read off it). */
export const T0 = 1_800_000_000_000;

/**
 * Lists a test pushes its core clients and servers to; after each test the clients are
 * closed, then the servers (a server closed first makes every client reconnect meanwhile).
 */
export function closedAfterEach(): { cores: LifelineClient[]; servers: LifelineServer[] } {
  const cores: LifelineClient[] = [];
  const servers: LifelineServer[] = [];
  afterEach(async () => {
    await Promise.all(cores.splice(0).map((c) => c.close()));
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  return { cores, servers };
}

/**
 * Spends `client`'s whole `sub` burst (subscribeBurst(maxChannels)) in rounds of
 * maxChannels: subscribe, wait for every answer, leave, subscribe others.
 */
export async function spendSubscribeBurst(client: LifelineClient, maxChannels: number): Promise<void> {
  const rounds = subscribeBurst(maxChannels) / maxChannels;
  for (let r = 0; r < rounds; r++) {
    const names = Array.from({ length: maxChannels }, (_, i) => `r${r}:${i}`);
    const offs = names.map((n) => client.channel(n).subscribe(() => {}));
    await waitFor(() => names.every((n) => client.channel(n).getSnapshot().state === 'subscribed'), `round ${r} subscribed`);
    offs.forEach((off) => off());
    await waitFor(() => names.every((n) => client.channel(n).getSnapshot().state === 'idle'), `round ${r} left`);
  }
}
