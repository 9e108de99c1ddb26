// A presence refresh that failed while the broker was down is retried as soon as the broker
// says it is back (Broker.onStatus), not only at the session's next heartbeat slot: three
// short Redis outages over one entry's slots let it expire 45 s after its last refresh,
// while its client stayed connected (a browser trial: a leave and a join for everyone).
// Real server on port 0, real sockets; time on a fake clock.
import { describe, expect, it } from 'vitest';
import { memoryBroker, type Broker, type BrokerStatusChange } from '../src/index';
import { FakeClock } from './helpers/fakeClock';
import { useServer } from './helpers/serverFixture';
import { waitFor } from './helpers/waitFor';

const { start, connect } = useServer();

/** A memory broker whose presence refreshes fail while `down`, and which reports its status. */
function blinkingBroker() {
  const inner = memoryBroker();
  let listener: ((c: BrokerStatusChange) => void) | undefined;
  const refreshes: string[] = [];
  const state = { down: false };
  const broker: Broker = {
    ...inner,
    async presenceRefresh(channel, entry, ttlMs) {
      refreshes.push(`${state.down ? 'failed' : 'ok'} ${channel}`);
      if (state.down) throw new Error('broker down');
      return inner.presenceRefresh(channel, entry, ttlMs);
    },
    onStatus(l) {
      listener = l;
      return () => void (listener = undefined);
    },
  };
  const set = (down: boolean) => {
    state.down = down;
    listener?.(down ? { available: false, reason: 'test' } : { available: true, downMs: 1000 });
  };
  return { broker, refreshes, set, inner };
}

describe('presence refresh after a broker outage', () => {
  it('an entry whose refresh failed is refreshed when the broker is back, not a heartbeat interval later', async () => {
    const clock = new FakeClock();
    const { broker, refreshes, set, inner } = blinkingBroker();
    await start({ broker, clock, heartbeatMs: 15_000 });
    const c = await connect({ clientId: 'ada' });
    expect(await c.request({ type: 'presence.enter', channel: 'room', info: { n: 1 } })).toMatchObject({ type: 'presence.ok' });
    set(true);
    clock.advance(15_000); // the session's slot comes round: its refresh fails
    await waitFor(() => refreshes.includes('failed room'), 'the failed refresh');
    expect(refreshes).toEqual(['failed room']);
    set(false); // back: retried at once, without waiting for the next slot
    await waitFor(() => refreshes.length === 2, 'the retry');
    expect(refreshes).toEqual(['failed room', 'ok room']);
    // Refreshed (its answer read): a second recovery does not refresh it again.
    await new Promise((r) => setTimeout(r, 20));
    set(true);
    set(false);
    await new Promise((r) => setTimeout(r, 20));
    expect(refreshes).toHaveLength(2);
    await inner.close();
  });

  it('an entry left since its refresh failed is not refreshed back on recovery', async () => {
    const clock = new FakeClock();
    const { broker, refreshes, set, inner } = blinkingBroker();
    await start({ broker, clock, heartbeatMs: 15_000 });
    const c = await connect({ clientId: 'ada' });
    await c.request({ type: 'presence.enter', channel: 'room' });
    set(true);
    clock.advance(15_000);
    await waitFor(() => refreshes.length === 1, 'the failed refresh');
    await c.request({ type: 'presence.leave', channel: 'room' });
    set(false);
    await new Promise((r) => setTimeout(r, 20));
    expect(refreshes).toEqual(['failed room']);
    await inner.close();
  });
});
