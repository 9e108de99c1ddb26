import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useLayoutEffect, useState } from 'react';
import { act, cleanup, screen } from '@testing-library/react';
import type { Message } from '@lifeline/core';
import { useChannel } from '../src';
import { FakeClient } from './support/fakeClient';
import { renderWithClient } from './support/render';

beforeEach(() => vi.useFakeTimers());
afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

function Room({
  name = 'room',
  onMessage,
  since,
  renders,
}: {
  name?: string;
  onMessage?: (m: Message<string>) => void;
  since?: { offset: number; epoch: string };
  renders?: { count: number };
}) {
  // A fresh options object every render: identity must come from its value.
  const { state, position, gap, error } = useChannel<string>(name, onMessage, since ? { since } : undefined);
  if (renders) renders.count++;
  return (
    <p data-testid="channel">
      {state} {position ? position.offset : '-'} {gap ? gap.reason : '-'} {error ? error.code : '-'}
    </p>
  );
}

describe('useChannel', () => {
  it('mounting and unmounting rows on a channel that never gets a position leaves one watcher for its first position, not one per unmount', () => {
    const client = new FakeClient();
    const channel = client.channel('never');
    for (let i = 0; i < 20; i++) renderWithClient(client, <Room name="never" />, { releaseDelayMs: 0 }).unmount();
    act(() => vi.advanceTimersByTime(10));
    expect(channel.position).toBeNull();
    expect(channel.snapshotListenerCount).toBe(1);
    // Once the channel has one, the watcher goes too.
    act(() => channel.setSnapshot({ position: { offset: 3, epoch: 'e1' } }));
    expect(channel.snapshotListenerCount).toBe(0);
  });

  it('subscribes once on mount and releases after the release delay on unmount', () => {
    const client = new FakeClient();
    const { unmount } = renderWithClient(client, <Room />, { releaseDelayMs: 100 });
    expect(client.count('sub', 'room')).toBe(1);
    unmount();
    expect(client.count('unsub', 'room')).toBe(0);
    act(() => vi.advanceTimersByTime(99));
    expect(client.count('unsub', 'room')).toBe(0);
    act(() => vi.advanceTimersByTime(1));
    expect(client.count('unsub', 'room')).toBe(1);
  });

  it('under StrictMode sends exactly one subscribe and no unsubscribe', () => {
    const client = new FakeClient();
    renderWithClient(client, <Room />, { strict: true });
    act(() => vi.advanceTimersByTime(10_000));
    expect(client.count('sub')).toBe(1);
    expect(client.count('unsub')).toBe(0);
  });

  it('a remount within the release delay reuses the subscription', () => {
    const client = new FakeClient();
    const first = renderWithClient(client, <Room />);
    first.unmount();
    act(() => vi.advanceTimersByTime(50));
    renderWithClient(client, <Room />);
    act(() => vi.advanceTimersByTime(10_000));
    expect(client.wire.map((w) => w.op)).toEqual(['sub']);
  });

  it('calls the latest handler without resubscribing when its identity changes', () => {
    const client = new FakeClient();
    const seen: string[] = [];
    const { rerender } = renderWithClient(client, <Room onMessage={(m) => seen.push(`a:${m.data}`)} />);
    act(() => void client.channel<string>('room').deliver('1'));
    rerender(<Room onMessage={(m) => seen.push(`b:${m.data}`)} />);
    act(() => void client.channel<string>('room').deliver('2'));
    act(() => vi.advanceTimersByTime(10_000));
    expect(seen).toEqual(['a:1', 'b:2']);
    expect(client.count('sub')).toBe(1);
    expect(client.count('unsub')).toBe(0);
  });

  it('messages cause no render unless the component reads position', () => {
    const client = new FakeClient();
    const stateOnly = { count: 0 };
    const withPosition = { count: 0 };
    const received: number[] = [];
    function StateOnly() {
      const { state } = useChannel<string>('room', (m) => void received.push(m.offset));
      stateOnly.count++;
      return <p data-testid="state-only">{state}</p>;
    }
    renderWithClient(
      client,
      <>
        <StateOnly />
        <Room renders={withPosition} />
      </>,
    );
    const [before, beforePosition] = [stateOnly.count, withPosition.count];
    const channel = client.channel<string>('room');
    for (let i = 0; i < 5; i++) act(() => void channel.deliver(String(i)));
    expect(received).toEqual([1, 2, 3, 4, 5]);
    expect(stateOnly.count).toBe(before);
    expect(withPosition.count).toBe(beforePosition + 5);
    expect(screen.getByTestId('channel').textContent).toBe('subscribed 5 - -');

    // A change of a field it reads does re-render the state-only component.
    act(() => channel.setSnapshot({ state: 'failed' }));
    expect(stateOnly.count).toBe(before + 1);
    expect(screen.getByTestId('state-only').textContent).toBe('failed');
  });

  it('a field read for the first time shows its latest value in the render that first reads it', () => {
    const client = new FakeClient();
    const committed: string[] = [];
    let show!: (v: boolean) => void;
    function Late() {
      const [visible, setVisible] = useState(false);
      show = setVisible;
      const result = useChannel<string>('room', () => {});
      const text = visible ? String(result.position?.offset ?? 'none') : 'hidden';
      useLayoutEffect(() => void committed.push(text));
      return <p>{text}</p>;
    }
    renderWithClient(client, <Late />);
    const channel = client.channel<string>('room');
    for (const m of ['a', 'b', 'c']) act(() => void channel.deliver(m));
    committed.length = 0;
    act(() => show(true));
    expect(committed).toEqual(['3']);
  });

  it('keys the subscription on options by value: equal options keep it, new options replace it', () => {
    const client = new FakeClient();
    const { rerender } = renderWithClient(client, <Room since={{ offset: 3, epoch: 'e1' }} />);
    rerender(<Room since={{ offset: 3, epoch: 'e1' }} />);
    act(() => vi.advanceTimersByTime(10_000));
    expect(client.count('sub')).toBe(1);
    expect(client.channelOptions.filter(Boolean)).toContainEqual({ since: { offset: 3, epoch: 'e1' } });

    // Another name is another subscription; the old one is released after the delay.
    rerender(<Room name="other" />);
    act(() => vi.advanceTimersByTime(10_000));
    expect(client.wire.map((w) => `${w.op}:${w.channel}`)).toEqual(['sub:room', 'sub:other', 'unsub:room']);
  });

  it('exposes state, position, gap and error from the channel snapshot', () => {
    const client = new FakeClient();
    renderWithClient(client, <Room />);
    const channel = client.channel('room');
    act(() =>
      channel.setSnapshot({
        position: { offset: 7, epoch: 'e2' },
        lastGap: { channel: 'room', from: null, to: { offset: 7, epoch: 'e2' }, reason: 'epoch-changed' },
      }),
    );
    expect(screen.getByTestId('channel').textContent).toBe('subscribed 7 epoch-changed -');
  });

  it('publish goes to the channel and resolves with its result', async () => {
    const client = new FakeClient();
    let publish!: (d: string) => Promise<{ offset: number }>;
    function Publisher() {
      publish = useChannel<string>('room').publish;
      return null;
    }
    renderWithClient(client, <Publisher />);
    await expect(publish('hello')).resolves.toMatchObject({ offset: 1 });
    expect(client.wire).toContainEqual({ op: 'pub', channel: 'room', data: 'hello' });
  });

  it('when another handler threw and core hands the messages to every handler again, a handler that handled them is not called twice', () => {
    const client = new FakeClient();
    const steady: string[] = [];
    const flaky: string[] = [];
    renderWithClient(
      client,
      <>
        <Room onMessage={(m) => void steady.push(m.data)} />
        <Room
          onMessage={(m) => {
            flaky.push(m.data);
            if (m.data === 'b' && flaky.length === 2) throw new Error('flaky');
          }}
        />
      </>,
    );
    const channel = client.channel<string>('room');
    const a = channel.deliver('a');
    let b!: Message<string>;
    expect(() => (b = channel.deliver('b'))).toThrow('flaky');
    b ??= { type: 'msg', channel: 'room', offset: 2, epoch: 'e1', data: 'b' };
    // 'redeliver': core asks again from the position (after 'a') and hands b to every handler.
    act(() => {
      channel.redeliver(a);
      channel.redeliver(b);
    });
    act(() => void channel.deliver('c'));
    expect(steady).toEqual(['a', 'b', 'c']);
    expect(flaky).toEqual(['a', 'b', 'b', 'c']);
  });

  it('an async handler that rejected gets the message again; one that resolved does not', async () => {
    const client = new FakeClient();
    const seen: string[] = [];
    let fail = true;
    function Async() {
      useChannel<string>('room', async (m) => {
        seen.push(m.data);
        if (fail) {
          fail = false;
          throw new Error('async');
        }
      });
      return null;
    }
    renderWithClient(client, <Async />);
    const channel = client.channel<string>('room');
    const a = channel.deliver('a'); // rejects: not handled
    await act(async () => {});
    channel.redeliver(a); // resolves: handled
    await act(async () => {});
    channel.redeliver(a);
    await act(async () => {});
    expect(seen).toEqual(['a', 'a']);
  });

  it('two components on one channel share one wire subscription and both get messages', () => {
    const client = new FakeClient();
    const a: string[] = [];
    const b: string[] = [];
    renderWithClient(
      client,
      <>
        <Room onMessage={(m) => a.push(m.data)} />
        <Room onMessage={(m) => b.push(m.data)} />
      </>,
    );
    act(() => void client.channel<string>('room').deliver('x'));
    expect(client.count('sub')).toBe(1);
    expect(a).toEqual(['x']);
    expect(b).toEqual(['x']);
  });
});
