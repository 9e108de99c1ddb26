// An enter whose fate changed before the server answered it: left meanwhile, or the
// client closed. Each settles once, and the member list the server gets matches what
// the promise said.
import { describe, expect, it } from 'vitest';
import { isLifelineError } from '../src';
import { flushPromises, settle, setup } from './support/harness';

const reconnect = (h: ReturnType<typeof setup>) => {
  h.sock.serverClose(1006);
  h.clock.advance(h.client.getSnapshot().retryInMs!);
  h.accept();
};

describe('presence enter, then leave or close before presence.ok', () => {
  it('leave() before the answer, then the connection drops: the enter resolves (entered, then left), nothing is re-sent', async () => {
    const h = setup();
    h.accept();
    const ch = h.client.channel('room');
    const entered = settle(ch.presence.enter({ name: 'ada' }));
    void ch.presence.leave();
    expect(h.sock.frames('presence.leave')).toHaveLength(1);
    reconnect(h);
    await flushPromises();
    expect(entered.done).toBe(true);
    expect(entered.error).toBeUndefined();
    expect(h.sock.frames('presence.enter')).toHaveLength(0);
  });

  it('close() while the enter waits: rejected CLIENT_CLOSED, and a later connect() does not enter', async () => {
    const h = setup();
    h.accept();
    const ch = h.client.channel('room');
    ch.subscribe(() => {});
    const entered = settle(ch.presence.enter({ name: 'ada' }));
    const closing = h.client.close();
    h.sock.serverClose(1000);
    await closing;
    await flushPromises();
    expect(isLifelineError(entered.error, 'CLIENT_CLOSED')).toBe(true);
    h.client.connect();
    h.accept();
    expect(h.sock.frames('sub')).toHaveLength(1); // the subscription is kept
    expect(h.sock.frames('presence.enter')).toHaveLength(0);
  });

  it('an enter the server took before close() is made again after connect()', async () => {
    const h = setup();
    h.accept();
    const ch = h.client.channel('room');
    const entered = settle(ch.presence.enter({ name: 'ada' }));
    h.sock.push({ type: 'presence.ok', ref: h.sock.frames('presence.enter')[0].ref, channel: 'room' });
    await flushPromises();
    expect(entered.done).toBe(true);
    const closing = h.client.close();
    h.sock.serverClose(1000);
    await closing;
    h.client.connect();
    h.accept();
    expect(h.sock.frames('presence.enter').map((f) => f.info)).toEqual([{ name: 'ada' }]);
  });
});
