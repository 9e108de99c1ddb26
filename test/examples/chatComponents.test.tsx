// @vitest-environment happy-dom
// The chat example is what people copy: it must show what the react README teaches about
// presence while offline, a refused subscription, and a failed send.
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';

const hooks = vi.hoisted(() => ({
  connection: { state: 'open' } as { state: string },
  members: [] as { clientId: string; info?: unknown }[],
  channel: { messages: [], gap: null, error: null, retry: () => {} } as Record<string, unknown>,
  publish: (() => Promise.resolve({ offset: 1 })) as (data: unknown) => Promise<unknown>,
}));
vi.mock('@lifeline/react', () => ({
  useConnectionState: () => hooks.connection,
  usePresence: () => hooks.members,
  useChannelMessages: () => hooks.channel,
  useChannel: () => ({ publish: hooks.publish }),
}));
const { PresenceList } = await import('../../examples/react-chat/src/PresenceList');
const { MessageList } = await import('../../examples/react-chat/src/MessageList');
const { Composer } = await import('../../examples/react-chat/src/Composer');

afterEach(cleanup);

describe('react-chat PresenceList', () => {
  it('marks the member list as last seen while the connection is down, and live again once open', () => {
    hooks.members = [{ clientId: 'a', info: { name: 'ada' } }, { clientId: 'b', info: { name: 'bob' } }];
    hooks.connection = { state: 'open' };
    const { rerender } = render(<PresenceList room="lobby" name="ada" />);
    expect(screen.getByTestId('presence-panel').dataset.live).toBe('true');
    expect(screen.getByRole('heading').textContent).toBe('Here now (2)');

    hooks.connection = { state: 'closed' };
    rerender(<PresenceList room="lobby" name="ada" />);
    expect(screen.getByTestId('presence-panel').dataset.live).toBe('false');
    expect(screen.getByTestId('presence-panel').className).toContain('stale');
    expect(screen.getByRole('heading').textContent).toBe('Here now (2) · as last seen');
    // The list itself is kept (it is what the server last said), not emptied.
    expect(screen.getAllByRole('listitem').map((li) => li.textContent)).toEqual(['ada', 'bob']);

    hooks.connection = { state: 'open' };
    rerender(<PresenceList room="lobby" name="ada" />);
    expect(screen.getByTestId('presence-panel').dataset.live).toBe('true');
  });
});

describe('react-chat MessageList', () => {
  it('a subscription the server refused says why and offers retry()', () => {
    const retry = vi.fn();
    hooks.channel = { messages: [], gap: null, error: { code: 'SERVER_ERROR', message: 'FORBIDDEN: not allowed on lobby' }, retry };
    render(<MessageList room="lobby" />);
    expect(screen.getByTestId('channel-error').textContent).toContain('Not subscribed to #lobby: FORBIDDEN: not allowed on lobby');
    fireEvent.click(screen.getByTestId('retry'));
    expect(retry).toHaveBeenCalledTimes(1);
  });

  it('shows no retry while subscribed', () => {
    hooks.channel = { messages: [], gap: null, error: null, retry: () => {} };
    render(<MessageList room="lobby" />);
    expect(screen.queryByTestId('retry')).toBeNull();
  });
});

describe('react-chat Composer', () => {
  it('a failed send is shown until the next send, not for the rest of the session', async () => {
    let fail = true;
    hooks.publish = () => (fail ? Promise.reject(new Error('outbox full')) : Promise.resolve({ offset: 2 }));
    render(<Composer room="lobby" name="ada" />);
    const send = async (text: string) => {
      fireEvent.change(screen.getByTestId('input'), { target: { value: text } });
      await act(async () => {
        fireEvent.click(screen.getByTestId('send'));
      });
    };
    await send('one');
    expect(screen.getByText('not sent: "one" (outbox full)')).toBeTruthy();
    fail = false;
    await send('two');
    expect(screen.queryByText(/not sent/)).toBeNull();
    expect(screen.getByTestId('pending').textContent).toBe('');
  });
});
