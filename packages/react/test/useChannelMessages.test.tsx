import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act, cleanup, screen } from '@testing-library/react';
import { useChannelMessages } from '../src';
import { FakeClient } from './support/fakeClient';
import { renderWithClient } from './support/render';

beforeEach(() => vi.useFakeTimers());
afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

function List({ limit, renders, name = 'room' }: { limit?: number; renders: { count: number }; name?: string }) {
  const { messages, state } = useChannelMessages<string>(name, { limit, batchMs: 16 });
  renders.count++;
  return (
    <ul data-testid="list" data-state={state}>
      {messages.map((m) => (
        <li key={m.offset}>{m.data}</li>
      ))}
    </ul>
  );
}

const items = () => [...screen.getByTestId('list').querySelectorAll('li')].map((li) => li.textContent);

describe('useChannelMessages', () => {
  it('renders a burst of messages in one batched update, in order', () => {
    const client = new FakeClient();
    const renders = { count: 0 };
    renderWithClient(client, <List renders={renders} />);
    const before = renders.count;
    const channel = client.channel<string>('room');
    // Separate acts: React would render once per message if the hook did not batch.
    for (let i = 1; i <= 30; i++) act(() => void channel.deliver(`m${i}`));
    expect(renders.count).toBe(before);
    expect(items()).toEqual([]);
    act(() => vi.advanceTimersByTime(16));
    expect(renders.count).toBe(before + 1);
    expect(items()).toEqual(Array.from({ length: 30 }, (_, i) => `m${i + 1}`));
  });

  it('keeps only the last `limit` messages', () => {
    const client = new FakeClient();
    renderWithClient(client, <List limit={3} renders={{ count: 0 }} />);
    const channel = client.channel<string>('room');
    for (const d of ['a', 'b']) act(() => void channel.deliver(d));
    act(() => vi.advanceTimersByTime(16));
    expect(items()).toEqual(['a', 'b']);
    for (const d of ['c', 'd', 'e']) act(() => void channel.deliver(d));
    act(() => vi.advanceTimersByTime(16));
    expect(items()).toEqual(['c', 'd', 'e']);
  });

  it('starts an empty list for another channel', () => {
    const client = new FakeClient();
    const renders = { count: 0 };
    const { rerender } = renderWithClient(client, <List renders={renders} />);
    act(() => void client.channel<string>('room').deliver('old'));
    act(() => vi.advanceTimersByTime(16));
    expect(items()).toEqual(['old']);
    rerender(<List renders={renders} name="other" />);
    expect(items()).toEqual([]);
    act(() => void client.channel<string>('other').deliver('new'));
    act(() => vi.advanceTimersByTime(16));
    expect(items()).toEqual(['new']);
  });

  it('subscribes once under StrictMode', () => {
    const client = new FakeClient();
    renderWithClient(client, <List renders={{ count: 0 }} />, { strict: true });
    act(() => vi.advanceTimersByTime(10_000));
    expect(client.count('sub')).toBe(1);
    expect(client.count('unsub')).toBe(0);
  });
});
