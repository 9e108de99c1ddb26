import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act, cleanup, screen } from '@testing-library/react';
import { usePresence } from '../src';
import { FakeClient } from './support/fakeClient';
import { renderWithClient } from './support/render';

beforeEach(() => vi.useFakeTimers());
afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

function Members({ info }: { info?: unknown }) {
  const members = usePresence('room', info);
  return <p data-testid="members">{members.map((m) => `${m.clientId}:${JSON.stringify(m.info)}`).join(',')}</p>;
}

const text = () => screen.getByTestId('members').textContent;

describe('usePresence', () => {
  it('enters once under StrictMode, subscribes once, and renders the members', async () => {
    const client = new FakeClient();
    renderWithClient(client, <Members info={{ name: 'ada' }} />, { strict: true });
    await act(async () => vi.advanceTimersByTime(10_000));
    expect(client.wire.map((w) => w.op)).toEqual(['sub', 'presence.enter']);
    expect(text()).toBe('fake-client:{"name":"ada"}');
  });

  it('follows presence events of other members', () => {
    const client = new FakeClient();
    renderWithClient(client, <Members />);
    act(() => client.channel('room').setMembers([{ clientId: 'b', info: 1 }]));
    expect(text()).toBe('b:1');
    act(() => client.channel('room').setMembers([]));
    expect(text()).toBe('');
  });

  it('without info it only observes: no enter, no leave', () => {
    const client = new FakeClient();
    const { unmount } = renderWithClient(client, <Members />);
    unmount();
    act(() => vi.advanceTimersByTime(10_000));
    expect(client.wire.map((w) => w.op)).toEqual(['sub', 'unsub']);
  });

  it('sends an update when info changes by value, nothing when only its identity changes', async () => {
    const client = new FakeClient();
    const { rerender } = renderWithClient(client, <Members info={{ name: 'ada' }} />);
    rerender(<Members info={{ name: 'ada' }} />);
    rerender(<Members info={{ name: 'grace' }} />);
    await act(async () => vi.advanceTimersByTime(10_000));
    const enters = client.wire.filter((w) => w.op === 'presence.enter');
    expect(enters.map((w) => (w as { info: unknown }).info)).toEqual([{ name: 'ada' }, { name: 'grace' }]);
    expect(client.count('presence.leave')).toBe(0);
    expect(client.count('unsub')).toBe(0);
  });

  it('leaves, then unsubscribes, after the release delay on unmount', async () => {
    const client = new FakeClient();
    const { unmount } = renderWithClient(client, <Members info="x" />, { releaseDelayMs: 100 });
    unmount();
    await act(async () => vi.advanceTimersByTime(99));
    expect(client.count('presence.leave')).toBe(0);
    await act(async () => vi.advanceTimersByTime(1));
    expect(client.count('presence.leave')).toBe(1);
    await act(async () => vi.advanceTimersByTime(100));
    expect(client.wire.map((w) => w.op)).toEqual(['sub', 'presence.enter', 'presence.leave', 'unsub']);
  });
});
