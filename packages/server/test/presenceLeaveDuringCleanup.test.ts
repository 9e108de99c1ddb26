// Found by the session model test (sessionModel.test.ts): a client that dropped and
// reconnected sends `presence.leave` on its new connection while the server is still
// cleaning up the old one (detaching its other channels from the broker). The leave is
// answered `presence.ok`, but the old connection's entry was handed to its grace timer
// only after that cleanup, so the leave found nothing to end: the member stayed listed for
// the whole grace period (PROTOCOL.md §8, §17: an explicit leave is immediate, also ending
// the grace period of an older connection of the same clientId).
import { describe, expect, it } from 'vitest';
import { memoryBroker } from '../src/broker/memoryBroker';
import type { Broker } from '../src/broker/types';
import { FakeClock } from './helpers/fakeClock';
import { useServer } from './helpers/serverFixture';
import { waitFor } from './helpers/waitFor';

const fx = useServer();
const { start, connect } = fx;

/** A memory broker whose live-feed detach of `channel` waits until `release` is called. */
function slowDetach(channel: string): { broker: Broker; release: () => void; detaching: () => boolean } {
  const inner = memoryBroker({ clock: new FakeClock() });
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let detaching = false;
  const broker: Broker = {
    ...inner,
    async onMessage(name, listener) {
      const detach = await inner.onMessage(name, listener);
      if (name !== channel) return detach;
      return async () => {
        detaching = true;
        await gate;
        await detach();
      };
    },
  };
  return { broker, release, detaching: () => detaching };
}

/** A memory broker whose first `presenceSet` of `clientId` waits until `release` is called. */
function slowEnter(clientId: string): { broker: Broker; release: () => void; entering: () => boolean } {
  const inner = memoryBroker({ clock: new FakeClock() });
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let entering = false;
  const broker: Broker = {
    ...inner,
    async presenceSet(channel, entry, ttlMs) {
      if (entry.clientId === clientId && !entering) {
        entering = true;
        await gate;
      }
      return inner.presenceSet(channel, entry, ttlMs);
    },
  };
  return { broker, release, entering: () => entering };
}

describe('presence.leave while the old connection is being cleaned up', () => {
  it('ends the old entry at once: the leave is seen by subscribers and the store is empty', async () => {
    const clock = new FakeClock();
    const gated = slowDetach('other');
    await start({ clock, broker: gated.broker, presenceGraceMs: 5000 });
    const watcher = await connect({ clientId: 'watcher' });
    await watcher.subscribe('room');
    const old = await connect({ clientId: 'ada' });
    await old.subscribe('other');
    expect(await old.request({ type: 'presence.enter', channel: 'room' })).toMatchObject({ type: 'presence.ok' });
    await watcher.next('presence', (f) => f.event === 'join' && f.member.clientId === 'ada');

    // The old socket drops; its cleanup waits on the broker (detaching `other`).
    old.ws.terminate();
    await waitFor(() => gated.detaching(), 'the old connection cleaning up');
    expect(fx.server.stats().connections).toBe(1);

    const again = await connect({ clientId: 'ada' });
    expect(await again.request({ type: 'presence.leave', channel: 'room' })).toMatchObject({ type: 'presence.ok' });
    try {
      // No clock advance: the grace timer never fires here, only the leave can remove it.
      await watcher.next('presence', (f) => f.event === 'leave' && f.member.clientId === 'ada', 0, 1000);
      expect(await gated.broker.presenceList('room')).toEqual([]);
    } finally {
      gated.release();
    }
    expect(fx.server.stats().presencePending).toBe(0);
  });

  it('an enter of the old connection that lands after the leave is removed at once, not held for the grace period', async () => {
    const clock = new FakeClock();
    const gated = slowEnter('ada');
    await start({ clock, broker: gated.broker, presenceGraceMs: 5000 });
    const watcher = await connect({ clientId: 'watcher' });
    await watcher.subscribe('room');
    const old = await connect({ clientId: 'ada' });
    old.send({ type: 'presence.enter', ref: 1, channel: 'room' });
    await waitFor(() => gated.entering(), 'the enter being stored');
    old.ws.terminate();
    await waitFor(() => fx.server.stats().connections === 1, 'the old connection closed');

    const again = await connect({ clientId: 'ada' });
    expect(await again.request({ type: 'presence.leave', channel: 'room' })).toMatchObject({ type: 'presence.ok' });
    gated.release();
    // The late entry joins and leaves at once; no clock advance: a grace timer would hold it.
    await watcher.next('presence', (f) => f.event === 'leave' && f.member.clientId === 'ada', 0, 1000);
    expect(await gated.broker.presenceList('room')).toEqual([]);
    expect(fx.server.stats().presencePending).toBe(0);
  });

  it('an enter still queued behind a subscribe at the close is not stored at all', async () => {
    const clock = new FakeClock();
    const inner = memoryBroker({ clock: new FakeClock() });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let armed = false;
    let held = false;
    const broker: Broker = {
      ...inner,
      async position(channel) {
        if (armed && !held) {
          held = true;
          await gate;
        }
        return inner.position(channel);
      },
    };
    await start({ clock, broker, presenceGraceMs: 5000 });
    const watcher = await connect({ clientId: 'watcher' });
    await watcher.subscribe('room');
    const old = await connect({ clientId: 'ada' });
    armed = true;
    old.send({ type: 'sub', ref: 1, channel: 'room' });
    old.send({ type: 'presence.enter', ref: 2, channel: 'room' });
    await waitFor(() => held, 'the subscribe reading the head');
    old.ws.terminate();
    await waitFor(() => fx.server.stats().connections === 1, 'the old connection closed');

    const again = await connect({ clientId: 'ada' });
    expect(await again.request({ type: 'presence.leave', channel: 'room' })).toMatchObject({ type: 'presence.ok' });
    release();
    // Let the queued enter have its turn (no clock advance: a grace timer would hold it).
    await new Promise((r) => setTimeout(r, 50));
    expect(await broker.presenceList('room')).toEqual([]);
    expect(fx.server.stats().presencePending).toBe(0);
    expect(watcher.frames.filter((f) => f.type === 'presence')).toEqual([]);
  });
});
