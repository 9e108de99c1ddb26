// A presence.enter refused FORBIDDEN (refused for good) is entered again once the token may
// allow it, as a `failed` channel subscribes again: after the server took a new token in band
// (`authed`), and on a connection whose hello carries another token. It stayed out until
// the app called enter() again: React's usePresence kept an empty member list, and this
// client never entered, until its `info` changed or the component remounted.
import { describe, expect, it } from 'vitest';
import type { LifelineError } from '../src';
import { flushPromises, setup } from './support/harness';

/** Open with token 'narrow' on a server that takes tokens in band; 'room' subscribed and an enter refused FORBIDDEN. */
async function refused(code = 'FORBIDDEN') {
  const h = setup({ token: 'narrow' });
  h.accept({ tokenExpiresInMs: 600_000 });
  const ch = h.client.channel('room');
  ch.subscribe(() => {});
  const chErrors: LifelineError[] = [];
  ch.on('error', (e) => chErrors.push(e));
  const entered = ch.presence.enter({ name: 'ada' }).catch((e: LifelineError) => e.serverCode);
  const enters = () => h.sock.frames('presence.enter');
  h.sock.push({ type: 'error', ref: enters()[0].ref, channel: 'room', code, message: 'token does not allow presence on room' });
  expect(await entered).toBe(code);
  /** setToken() while open and the server's `authed` for it. */
  const widen = async (token = 'wide') => {
    h.client.setToken(token);
    await flushPromises();
    const auth = h.sock.frames('auth').at(-1);
    expect(auth).toMatchObject({ token });
    h.sock.push({ type: 'authed', ref: auth.ref, tokenExpiresInMs: 600_000 });
  };
  const reconnect = () => {
    h.sock.serverClose(1006);
    h.clock.advance(h.client.getSnapshot().retryInMs!);
    h.accept({ tokenExpiresInMs: 600_000 });
  };
  return { h, ch, chErrors, enters, widen, reconnect };
}

describe('a presence enter refused FORBIDDEN', () => {
  it('is sent again once the server took a new token in band (authed), and the member list then shows this client', async () => {
    const t = await refused();
    expect(t.enters()).toHaveLength(1);
    await t.widen();
    expect(t.enters()).toHaveLength(2);
    const again = t.enters()[1];
    expect(again.info).toEqual({ name: 'ada' });
    t.h.sock.push({ type: 'presence.ok', ref: again.ref, channel: 'room' });
    t.h.sock.push({ type: 'presence', channel: 'room', event: 'join', member: { clientId: t.h.client.clientId, info: { name: 'ada' } } });
    expect(t.ch.presence.members().map((m) => m.clientId)).toEqual([t.h.client.clientId]);
    // Confirmed now: the next reconnect enters it as any confirmed enter.
    t.reconnect();
    expect(t.enters().map((f) => f.info)).toEqual([{ name: 'ada' }]);
  });

  it('refused again after authed: an error event, and sent again at the next authed only (not on every reconnect with the same token)', async () => {
    const t = await refused();
    await t.widen();
    t.h.sock.push({ type: 'error', ref: t.enters()[1].ref, channel: 'room', code: 'FORBIDDEN', message: 'still no' });
    await flushPromises();
    expect(t.chErrors.map((e) => e.serverCode)).toEqual(['FORBIDDEN', 'FORBIDDEN']);
    // Refused under 'wide', the token the server took in band: a reconnect with it (its hello)
    // changes nothing.
    t.reconnect();
    expect(JSON.parse(t.h.sock.sent[0]!).token).toBe('wide');
    expect(t.enters()).toHaveLength(0);
    await t.widen('wider');
    expect(t.enters()).toHaveLength(1);
  });

  it('is sent again on a new connection whose hello carries another token, not on one with the same token', async () => {
    const t = await refused();
    t.reconnect();
    expect(t.enters()).toHaveLength(0);
    // A server that does not take tokens in band: setToken() applies from the next connection.
    t.h.client.setToken('wide');
    t.reconnect();
    expect(JSON.parse(t.h.sock.sent[0]!).token).toBe('wide');
    expect(t.enters().map((f) => f.info)).toEqual([{ name: 'ada' }]);
  });

  it('the re-entry after a reconnect refused FORBIDDEN is sent again after authed too', async () => {
    const h = setup({ token: 'narrow' });
    h.accept({ tokenExpiresInMs: 600_000 });
    const ch = h.client.channel('room');
    ch.subscribe(() => {});
    const entered = ch.presence.enter({ name: 'ada' });
    h.sock.push({ type: 'presence.ok', ref: h.sock.frames('presence.enter')[0].ref, channel: 'room' });
    await entered;
    h.sock.serverClose(1006);
    h.clock.advance(h.client.getSnapshot().retryInMs!);
    const s = h.accept({ tokenExpiresInMs: 600_000 });
    s.push({ type: 'error', ref: s.frames('presence.enter')[0].ref, channel: 'room', code: 'FORBIDDEN', message: 'no' });
    h.client.setToken('wide');
    await flushPromises();
    s.push({ type: 'authed', ref: s.frames('auth')[0].ref, tokenExpiresInMs: 600_000 });
    expect(s.frames('presence.enter').map((f) => f.info)).toEqual([{ name: 'ada' }, { name: 'ada' }]);
  });

  it('not after a leave() or a newer enter() (the app changed its mind), nor for a refusal a token cannot cure (BAD_FIELD)', async () => {
    const left = await refused();
    await left.ch.presence.leave();
    await left.widen();
    expect(left.enters()).toHaveLength(1);

    const replaced = await refused();
    const newer = replaced.ch.presence.enter({ name: 'bob' });
    replaced.h.sock.push({ type: 'presence.ok', ref: replaced.enters()[1].ref, channel: 'room' });
    await newer;
    await replaced.widen();
    expect(replaced.enters().map((f) => f.info)).toEqual([{ name: 'ada' }, { name: 'bob' }]);

    const tooBig = await refused('BAD_FIELD');
    await tooBig.widen();
    tooBig.h.client.setToken('other');
    tooBig.reconnect();
    expect(tooBig.enters()).toHaveLength(0);
  });
});
