// A `state` listener for the move to `open` is where apps naturally (re)subscribe or
// enter presence. The welcome then re-subscribes the desired set too: each frame must
// still go out once.
import { describe, expect, it } from 'vitest';
import type { StateChange } from '../src';
import { flushPromises, setup } from './support/harness';

const onOpen = (h: ReturnType<typeof setup>, fn: () => void) => {
  const l = (s: StateChange) => {
    if (s.to === 'open') fn();
  };
  h.client.on('state', l);
};

describe('subscribing from an open listener', () => {
  it('channel.subscribe() in the listener sends one sub, and the channel gets subscribed', () => {
    const h = setup();
    const ch = h.client.channel('room');
    onOpen(h, () => ch.subscribe(() => {}));
    h.accept();
    expect(h.sock.frames('sub').map((f) => f.channel)).toEqual(['room']);
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    expect(ch.getSnapshot().state).toBe('subscribed');
  });

  it('a channel first made in the listener: one sub', () => {
    const h = setup();
    onOpen(h, () => h.client.channel('fresh').subscribe(() => {}));
    h.accept();
    expect(h.sock.frames('sub').length).toBe(1);
  });

  it('presence.enter() in the listener sends one enter, and its promise resolves on the answer', async () => {
    const h = setup();
    const ch = h.client.channel('room');
    ch.subscribe(() => {});
    let entered = false;
    onOpen(h, () => void ch.presence.enter({ name: 'a' }).then(() => (entered = true)));
    h.accept();
    const enters = h.sock.frames('presence.enter');
    expect(enters.length).toBe(1);
    expect(h.sock.frames('sub').length).toBe(1);
    h.sock.push({ type: 'presence.ok', ref: enters[0].ref, channel: 'room' });
    await flushPromises();
    expect(entered).toBe(true);
  });

  it('on every reconnect, not only the first open', () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 10 } });
    const ch = h.client.channel('room');
    let off: (() => void) | null = null;
    onOpen(h, () => {
      off?.();
      off = ch.subscribe(() => {});
      void ch.presence.enter();
    });
    h.accept();
    h.sock.serverClose(1006);
    h.clock.advance(10);
    const s = h.accept();
    expect(s.frames('sub').length).toBe(1);
    expect(s.frames('presence.enter').length).toBe(1);
  });

  it('the last unsubscribe in the listener sends neither sub nor unsub for that connection', () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 10 } });
    const ch = h.client.channel('room');
    const off = ch.subscribe(() => {});
    h.accept();
    h.sock.serverClose(1006);
    h.clock.advance(10);
    onOpen(h, off);
    const s = h.accept();
    expect(s.frames().map((f) => f.type)).toEqual(['hello']);
    expect(ch.getSnapshot().state).toBe('idle');
  });
});
