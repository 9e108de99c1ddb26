// From a React user trial: after setToken() widened the token in band (`authed`), failed
// channels subscribed again, but usePresence's enter refused FORBIDDEN stayed out: the
// member list stayed [] and this client never entered until `info` changed or the
// component remounted. Core now enters it again after `authed` (and on a connection with
// another token), with the info the component holds.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act, cleanup, render } from '@testing-library/react';
import { LifelineProvider, usePresence } from '../src';
import { flushPromises, setup } from '../../core/test/support/harness';

beforeEach(() => vi.useFakeTimers());
afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

function Members() {
  const members = usePresence<{ name: string }>('room', { name: 'ada' });
  return <p>{members.map((m) => m.info?.name).join(',') || 'nobody'}</p>;
}

describe('usePresence after a FORBIDDEN refusal and a token widened in band', () => {
  it('enters again once the server took the new token, and the member list shows this client, without a remount', async () => {
    const h = setup({ token: 'narrow' });
    h.accept({ tokenExpiresInMs: 600_000 });
    const r = render(
      <LifelineProvider client={h.client}>
        <Members />
      </LifelineProvider>,
    );
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    const enters = () => h.sock.frames('presence.enter');
    h.sock.push({ type: 'error', ref: enters()[0].ref, channel: 'room', code: 'FORBIDDEN', message: 'no presence for you' });
    await act(async () => {});
    expect(h.errors.map((e) => e.serverCode)).toEqual(['FORBIDDEN']);
    h.client.setToken('wide');
    await act(flushPromises);
    const auth = h.sock.frames('auth')[0];
    expect(auth).toMatchObject({ token: 'wide' });
    act(() => h.sock.push({ type: 'authed', ref: auth.ref, tokenExpiresInMs: 600_000 }));
    expect(enters().map((f) => f.info)).toEqual([{ name: 'ada' }, { name: 'ada' }]);
    act(() => {
      h.sock.push({ type: 'presence.ok', ref: enters()[1].ref, channel: 'room' });
      h.sock.push({ type: 'presence', channel: 'room', event: 'join', member: { clientId: h.client.clientId, info: { name: 'ada' } } });
    });
    expect(r.container.textContent).toBe('ada');
    void h.client.close();
  });
});
