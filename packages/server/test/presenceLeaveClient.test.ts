// The reference client's presence.leave() against real servers (PROTOCOL.md §8, §17): a
// leave made while the client is disconnected is sent on its next connection, and the
// server ends the old connection's grace period with it at once. Two servers on one memory
// broker (the watcher stays connected to one while the member's server drops its sockets);
// the servers' clock never moves, so only the leave can remove the entry, never a grace timer.
import { describe, expect, it } from 'vitest';
import { createClient, type LifelineClient } from '@lifeline/core';
import { createManualClock } from '@lifeline/core/testing';
import { createServer, memoryBroker } from '../src/index';
import { closedAfterEach, T0 } from './helpers/coreClients';
import { FakeClock } from './helpers/fakeClock';
import { waitFor } from './helpers/waitFor';

const { cores, servers } = closedAfterEach();

const ids = (c: LifelineClient) => c.channel('room').presence.members().map((m) => m.clientId);

describe('presence.leave() from the reference client', () => {
  it('made while disconnected: sent on the next connection, and the member leaves at once, not after the grace period', async () => {
    const broker = memoryBroker();
    const serverClock = new FakeClock();
    const opts = { port: 0, broker, clock: serverClock, heartbeatMs: 3_600_000, presenceGraceMs: 60_000, faults: true } as const;
    const home = await createServer(opts);
    const away = await createServer(opts);
    servers.push(home, away);

    const watcher = createClient({ url: `${home.url}/v1`, clientId: 'watcher', lifecycle: false });
    cores.push(watcher);
    watcher.channel('room').subscribe(() => {});
    watcher.connect();

    const clock = createManualClock(T0);
    const ada = createClient({ url: `${away.url}/v1`, clientId: 'ada', clock, lifecycle: false, reconnect: { initialDelayMs: 1000, jitter: 'none' } });
    cores.push(ada);
    ada.connect();
    await waitFor(() => ada.state === 'open', 'ada open');
    await ada.channel('room').presence.enter({ mood: 'here' });
    await waitFor(() => ids(watcher).includes('ada'), 'the watcher seeing ada');

    away.faults!.dropAll();
    await waitFor(() => ada.state === 'closed', 'ada disconnected');
    await ada.channel('room').presence.leave();
    // Held by the old connection's grace period (60 s on a clock that does not move).
    await new Promise((r) => setTimeout(r, 50));
    expect(ids(watcher)).toContain('ada');

    clock.advance(1000); // the reconnect
    await waitFor(() => ada.state === 'open', 'ada back');
    await waitFor(() => !ids(watcher).includes('ada'), 'the watcher seeing ada leave');
    expect(await broker.presenceList('room')).toEqual([]);
    expect(away.stats().presencePending).toBe(0);
  });
});
