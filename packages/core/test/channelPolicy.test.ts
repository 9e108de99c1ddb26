import { describe, expect, it } from 'vitest';
import { createClient, isLifelineError, type GapEvent } from '../src';
import { setup } from './support/harness';
import { FakeSocket } from './support/fakeSocket';

const client = () => createClient({ url: 'ws://test/v1', WebSocket: FakeSocket as any, autoConnect: false, lifecycle: false });
const noop = () => {};

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('channel onHandlerError policy', () => {
  it('refuses a value that is not a policy with BAD_ARGUMENT (a typo was silently "redeliver")', () => {
    const e = thrownBy(() => client().channel('room', { onHandlerError: 'skipp' as any }));
    expect(isLifelineError(e, 'BAD_ARGUMENT')).toBe(true);
    expect((e as Error).message).toContain('skipp');
  });

  it('a refused call changes nothing: its since is not applied', () => {
    const c = client();
    const ch = c.channel('room', { onHandlerError: 'skip' });
    ch.subscribe(noop);
    expect(thrownBy(() => c.channel('room', { onHandlerError: 'redeliver', since: { offset: 5, epoch: 'e1' } }))).toBeDefined();
    expect(ch.position).toBeNull();
  });

  it('while the channel has handlers, refuses a caller asking for the other policy, naming the one in force', () => {
    const c = client();
    const ch = c.channel('room', { onHandlerError: 'skip' });
    ch.subscribe(noop);
    const e = thrownBy(() => c.channel('room', { onHandlerError: 'redeliver' }));
    expect(isLifelineError(e, 'BAD_ARGUMENT')).toBe(true);
    expect((e as Error).message).toBe('onHandlerError redeliver: channel room has skip');
    // The same policy, or none, is the same channel object.
    expect(c.channel('room', { onHandlerError: 'skip' })).toBe(ch);
    expect(c.channel('room')).toBe(ch);
  });

  it('refuses "skip" while handlers run under an explicit "redeliver"', () => {
    const c = client();
    c.channel('room', { onHandlerError: 'redeliver' }).subscribe(noop);
    const e = thrownBy(() => c.channel('room', { onHandlerError: 'skip' }));
    expect(isLifelineError(e, 'BAD_ARGUMENT')).toBe(true);
    expect((e as Error).message).toBe('onHandlerError skip: channel room has redeliver');
  });

  it('lets a caller name a policy for handlers that run under none yet (a channel made by presence or to publish)', () => {
    const c = client();
    const ch = c.channel('room');
    ch.subscribe(noop);
    expect(c.channel('room', { onHandlerError: 'skip' })).toBe(ch);
    expect(thrownBy(() => c.channel('room', { onHandlerError: 'redeliver' }))).toBeDefined();
  });

  it('without handlers, the policy named last applies: one that every handler left does not bind the next caller', () => {
    const h = setup();
    h.accept();
    const off = h.client.channel('room', { onHandlerError: 'redeliver' }).subscribe(noop);
    off();
    const ch = h.client.channel('room', { onHandlerError: 'skip' });
    // 'skip' is in force: the message whose handler threw is passed with a gap, not redelivered.
    const gaps: GapEvent[] = [];
    ch.on('gap', (g) => gaps.push(g));
    const got: number[] = [];
    ch.subscribe((m) => {
      if (m.offset === 2) throw new Error('boom');
      got.push(m.offset);
    });
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    for (const o of [1, 2, 3]) h.msg('room', o);
    expect(got).toEqual([1, 3]);
    expect(gaps).toMatchObject([{ reason: 'handler-skipped', to: { offset: 2 } }]);
    expect(thrownBy(() => h.client.channel('room', { onHandlerError: 'redeliver' }))).toBeDefined();
  });
});
