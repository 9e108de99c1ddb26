// usePresence keys its effect on JSON.stringify(info), which it computed during render: an
// `info` holding a BigInt or a cycle threw a raw TypeError out of render (the whole tree
// unmounted). It is a typed BAD_ARGUMENT now, given to `onError` (console.error without
// one), and nothing is entered with that info; the hook still shows the members.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/react';
import { isLifelineError, type LifelineClient, type LifelineError } from '@lifeline/core';
import { LifelineProvider, usePresence } from '../../src';
import { framesIn, until, useServerWithClients } from '../support/server';

const t = useServerWithClients();
afterEach(() => vi.restoreAllMocks());

function Me({ name, info, onError }: { name: string; info: unknown; onError?: (e: LifelineError) => void }) {
  const members = usePresence(name, info, onError && { onError });
  return <p data-testid="members">{members.map((m) => JSON.stringify(m.info)).join(',')}</p>;
}

const cyclic = () => {
  const o: Record<string, unknown> = { name: 'ada' };
  o.self = o;
  return o;
};

/** Resolves once every frame `client` sent before it has reached the server. */
const fence = (client: LifelineClient, name: string) => client.channel(name).publish('fence');

describe('usePresence with info that is not JSON', () => {
  it.each([
    ['a BigInt', () => ({ name: 'ada', score: 10n })],
    ['a cycle', cyclic],
  ])('%s: BAD_ARGUMENT to onError, not thrown in render, nothing entered', async (_, make) => {
    const client = t.client();
    const name = `room:bad-info-${Date.now()}-${Math.random()}`;
    const errors: LifelineError[] = [];
    const entersBefore = framesIn(t.server, 'presence.enter');
    const tree = (info: unknown) => (
      <LifelineProvider client={client}>
        <Me name={name} info={info} onError={(e) => errors.push(e)} />
      </LifelineProvider>
    );
    const r = render(tree(make()));
    await until(() => client.channel(name).getSnapshot().state === 'subscribed', 'the channel subscribed');
    // A re-render with another such value (a new object each render) is not reported again.
    r.rerender(tree(make()));
    await fence(client, name);
    expect(errors).toHaveLength(1);
    expect(isLifelineError(errors[0], 'BAD_ARGUMENT')).toBe(true);
    expect(errors[0]!.channel).toBe(name);
    expect(errors[0]!.cause).toBeInstanceOf(TypeError);
    expect(framesIn(t.server, 'presence.enter')).toBe(entersBefore);
    expect(screen.getByTestId('members').textContent).toBe('');

    // Fixed info enters as usual.
    r.rerender(tree({ name: 'ada' }));
    await until(() => screen.getByTestId('members').textContent === '{"name":"ada"}', 'entered with the fixed info');
    expect(framesIn(t.server, 'presence.enter')).toBe(entersBefore + 1);
    expect(errors).toHaveLength(1);
  });

  it('info that stops being JSON leaves presence, as on unmount', async () => {
    const client = t.client();
    const name = `room:bad-info-later-${Date.now()}`;
    const errors: LifelineError[] = [];
    const leavesBefore = framesIn(t.server, 'presence.leave');
    const tree = (info: unknown) => (
      <LifelineProvider client={client} releaseDelayMs={10}>
        <Me name={name} info={info} onError={(e) => errors.push(e)} />
      </LifelineProvider>
    );
    const r = render(tree({ name: 'ada' }));
    await until(() => screen.getByTestId('members').textContent === '{"name":"ada"}', 'entered');
    r.rerender(tree({ name: 'ada', at: 1n }));
    await until(() => framesIn(t.server, 'presence.leave') === leavesBefore + 1, 'left');
    await until(() => screen.getByTestId('members').textContent === '', 'gone from the members');
    expect(errors.map((e) => e.code)).toEqual(['BAD_ARGUMENT']);
  });

  it('without onError the error goes to console.error', async () => {
    const client = t.client();
    const name = `room:bad-info-console-${Date.now()}`;
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    render(
      <LifelineProvider client={client}>
        <Me name={name} info={{ big: 1n }} />
      </LifelineProvider>,
    );
    await until(() => client.channel(name).getSnapshot().state === 'subscribed', 'the channel subscribed');
    expect(logged.mock.calls.map(([e]) => isLifelineError(e, 'BAD_ARGUMENT') && e.channel)).toEqual([name]);
    expect(String(logged.mock.calls[0]![0])).toMatch(/info is not JSON/);
  });
});
