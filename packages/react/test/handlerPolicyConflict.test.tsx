import { afterEach, describe, expect, it, vi } from 'vitest';
import { Component, type ReactNode } from 'react';
import { cleanup, screen } from '@testing-library/react';
import { createClient, type ChannelOptions } from '@lifeline/core';
import { useChannel } from '../src';
import { renderWithClient } from './support/render';

afterEach(cleanup);

class Boundary extends Component<{ children: ReactNode }, { error: unknown }> {
  state = { error: null as unknown };
  static getDerivedStateFromError(error: unknown) {
    return { error };
  }
  render() {
    const e = this.state.error as { code?: string; message?: string } | null;
    return e ? <p data-testid="error">{`${e.code}: ${e.message}`}</p> : this.props.children;
  }
}

function Room({ options }: { options: ChannelOptions }) {
  useChannel('room', () => {}, options);
  return null;
}

const client = () => createClient({ url: 'ws://127.0.0.1:9/v1', autoConnect: false, lifecycle: false });

describe('useChannel onHandlerError on a shared channel', () => {
  it('a second hook asking for the other policy reaches the error boundary as BAD_ARGUMENT', () => {
    // React logs the error it hands to the boundary; keep the output readable.
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => {});
    renderWithClient(
      client(),
      <Boundary>
        <Room options={{ onHandlerError: 'skip' }} />
        <Room options={{ onHandlerError: 'redeliver' }} />
      </Boundary>,
    );
    quiet.mockRestore();
    expect(screen.getByTestId('error').textContent).toBe('BAD_ARGUMENT: onHandlerError redeliver: channel room has skip');
  });

  it('hooks that agree, or name no policy, share the channel without an error', () => {
    const c = client();
    renderWithClient(
      c,
      <Boundary>
        <Room options={{ onHandlerError: 'skip' }} />
        <Room options={{ onHandlerError: 'skip' }} />
        <Room options={{}} />
      </Boundary>,
    );
    expect(screen.queryByTestId('error')).toBeNull();
    expect(() => c.channel('room', { onHandlerError: 'redeliver' })).toThrow('channel room has skip');
  });
});
