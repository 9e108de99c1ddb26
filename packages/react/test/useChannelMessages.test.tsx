import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useLayoutEffect, useState } from 'react';
import { act, cleanup, render, screen } from '@testing-library/react';
import { LifelineProvider, useChannelMessages } from '../src';
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
        <li key={`${m.epoch}:${m.offset}`}>{m.data}</li>
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

  it('limit 0 keeps no message and renders nothing per batch (the same empty list: it re-rendered once per batch)', () => {
    const client = new FakeClient();
    const renders = { count: 0 };
    renderWithClient(client, <List limit={0} renders={renders} />);
    const before = renders.count;
    const channel = client.channel<string>('room');
    for (const d of ['a', 'b', 'c']) {
      act(() => void channel.deliver(d));
      act(() => vi.advanceTimersByTime(16));
    }
    expect(items()).toEqual([]);
    expect(renders.count).toBe(before);
  });

  it('a message handed over again (core redelivers after any handler of the channel threw) is listed once', () => {
    const client = new FakeClient();
    renderWithClient(client, <List renders={{ count: 0 }} />);
    const channel = client.channel<string>('room');
    const a = channel.deliver('a');
    const b = channel.deliver('b');
    // 'redeliver' replays from the position: what followed the failed message comes again too.
    act(() => {
      channel.redeliver(a);
      channel.redeliver(b);
    });
    act(() => vi.advanceTimersByTime(16));
    act(() => void channel.deliver('c'));
    act(() => channel.redeliver(b));
    act(() => vi.advanceTimersByTime(16));
    expect(items()).toEqual(['a', 'b', 'c']);
  });

  it('a new epoch (offsets start over after the stream was reset) is listed after the old one', () => {
    const client = new FakeClient();
    renderWithClient(client, <List renders={{ count: 0 }} />);
    const channel = client.channel<string>('room');
    act(() => {
      channel.deliver('a');
      channel.deliver('b');
      channel.redeliver({ type: 'msg', channel: 'room', offset: 1, epoch: 'e2', data: 'new1' });
    });
    act(() => vi.advanceTimersByTime(16));
    expect(items()).toEqual(['a', 'b', 'new1']);
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

  it('after a name change, a message of the old channel arriving before the old lease ends stays out of the new list', () => {
    const client = new FakeClient();
    let rename!: (n: string) => void;
    function Inject({ name }: { name: string }) {
      // A socket message between the commit and the passive effects (after paint in an
      // app), played from a layout effect of the same commit.
      useLayoutEffect(() => {
        if (name === 'b') void client.channel<string>('a').deliver('from-a');
      }, [name]);
      return null;
    }
    function Switching() {
      const [name, setName] = useState('a');
      rename = setName;
      const { messages } = useChannelMessages<string>(name, { batchMs: 1 });
      return (
        <>
          <Inject name={name} />
          <p data-testid="list">{messages.map((m) => `${m.channel}:${m.data}`).join(',')}</p>
        </>
      );
    }
    renderWithClient(client, <Switching />);
    act(() => rename('b'));
    act(() => void client.channel<string>('b').deliver('from-b'));
    act(() => vi.advanceTimersByTime(20));
    expect(screen.getByTestId('list').textContent).toBe('b:from-b');
  });

  it('a new client from the Provider starts an empty list (offsets of two clients never mix)', () => {
    const a = new FakeClient();
    const b = new FakeClient();
    function Offsets() {
      const { messages } = useChannelMessages<string>('room', { batchMs: 1 });
      return <p data-testid="list">{messages.map((m) => `${m.offset}:${m.data}`).join(',')}</p>;
    }
    const tree = (client: FakeClient) => (
      <LifelineProvider client={client}>
        <Offsets />
      </LifelineProvider>
    );
    const r = render(tree(a));
    act(() => void a.channel<string>('room').deliver('a1'));
    act(() => void a.channel<string>('room').deliver('a2'));
    act(() => vi.advanceTimersByTime(5));
    expect(screen.getByTestId('list').textContent).toBe('1:a1,2:a2');
    r.rerender(tree(b));
    act(() => void b.channel<string>('room').deliver('b1'));
    act(() => vi.advanceTimersByTime(5));
    expect(screen.getByTestId('list').textContent).toBe('1:b1');
  });

  it('after the Provider switches client, a message of the old client arriving before the old lease ends stays out of the new list', () => {
    const a = new FakeClient();
    const b = new FakeClient();
    function Inject({ client }: { client: FakeClient }) {
      // Between the commit and the passive effects, as in the name-change test above.
      useLayoutEffect(() => {
        if (client === b) void a.channel<string>('room').deliver('a-late');
      }, [client]);
      return null;
    }
    function Offsets() {
      const { messages } = useChannelMessages<string>('room', { batchMs: 1 });
      return <p data-testid="list">{messages.map((m) => `${m.offset}:${m.data}`).join(',')}</p>;
    }
    const tree = (client: FakeClient) => (
      <LifelineProvider client={client}>
        <Inject client={client} />
        <Offsets />
      </LifelineProvider>
    );
    const r = render(tree(a));
    act(() => void a.channel<string>('room').deliver('a1'));
    act(() => vi.advanceTimersByTime(5));
    r.rerender(tree(b));
    act(() => void b.channel<string>('room').deliver('b1'));
    act(() => vi.advanceTimersByTime(5));
    expect(screen.getByTestId('list').textContent).toBe('1:b1');
  });

  it('subscribes once under StrictMode', () => {
    const client = new FakeClient();
    renderWithClient(client, <List renders={{ count: 0 }} />, { strict: true });
    act(() => vi.advanceTimersByTime(10_000));
    expect(client.count('sub')).toBe(1);
    expect(client.count('unsub')).toBe(0);
  });
});
