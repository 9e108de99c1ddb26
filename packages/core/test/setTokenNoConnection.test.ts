// The client's state is still 'open' while a drop is told to channel snapshot listeners (the
// connection is already gone): setToken(undefined) there took the in-band branch, and the
// renewal then had no socket to renew: a TypeError in a promise callback (an unhandled
// rejection). The same window exists during close('flush') once its socket closed (found by
// a review).
import { describe, expect, it } from 'vitest';
import { flushPromises, setup } from './support/harness';

describe('setToken(undefined) from a channel snapshot listener as the socket closes', () => {
  it('does not throw', async () => {
    const h = setup({ token: 'old' });
    const ch = h.client.channel('room');
    ch.subscribe(() => {});
    h.accept({ tokenExpiresInMs: 600_000 });
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    let called = false;
    ch.subscribeSnapshot(() => {
      // a sign-out hooked to "the room went away"
      if (!called && ch.getSnapshot().state === 'subscribing') (called = true), h.client.setToken(undefined);
    });
    const unhandled: unknown[] = [];
    const on = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', on);
    h.sock.serverClose(1006);
    await flushPromises();
    await new Promise((r) => setTimeout(r, 10));
    process.off('unhandledRejection', on);
    expect(called).toBe(true);
    expect(unhandled).toEqual([]); // was: [TypeError: Cannot read properties of null (reading '_kill')]
  });
});
