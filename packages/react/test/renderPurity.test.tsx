import { useState } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { act, cleanup, render, screen } from '@testing-library/react';
import { createClient } from '@lifeline/core';
import { LifelineProvider, useChannel } from '../src';

afterEach(cleanup);

describe('rendering a hook changes nothing outside it', () => {
  it('a `since` on a channel another component shows without a position moves it in an effect, not during render', () => {
    // The real client: a channel made without `since` takes it later, while it has no position.
    const client = createClient({ url: 'ws://test/v1', autoConnect: false, lifecycle: false });
    const errors: string[] = [];
    const quiet = vi.spyOn(console, 'error').mockImplementation((...args) => void errors.push(args.map(String).join(' ')));
    let show!: (v: boolean) => void;
    function Reader() {
      const { position } = useChannel('room');
      return <p data-testid="position">{position ? position.offset : '-'}</p>;
    }
    function Checkpointed() {
      useChannel('room', undefined, { since: { offset: 5, epoch: 'e1' } });
      return null;
    }
    function App() {
      const [visible, setVisible] = useState(false);
      show = setVisible;
      return (
        <>
          <Reader />
          {visible && <Checkpointed />}
        </>
      );
    }
    try {
      render(
        <LifelineProvider client={client}>
          <App />
        </LifelineProvider>,
      );
      expect(screen.getByTestId('position').textContent).toBe('-');
      act(() => show(true));
    } finally {
      quiet.mockRestore();
    }
    expect(errors).toEqual([]);
    // The checkpoint still applies: the channel starts after it.
    expect(screen.getByTestId('position').textContent).toBe('5');
    expect(client.channel('room').position).toEqual({ offset: 5, epoch: 'e1' });
  });
});
