import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, screen } from '@testing-library/react';
import { createClient, type ChannelOptions } from '@lifeline/core';
import { useChannel } from '../src';
import { renderWithClient } from './support/render';
import { ErrorBoundary } from './support/errorBoundary';

afterEach(cleanup);

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
      <ErrorBoundary>
        <Room options={{ onHandlerError: 'skip' }} />
        <Room options={{ onHandlerError: 'redeliver' }} />
      </ErrorBoundary>,
    );
    quiet.mockRestore();
    expect(screen.getByTestId('error').textContent).toBe('BAD_ARGUMENT: onHandlerError redeliver: channel room has skip');
  });

  it('hooks that agree, or name no policy, share the channel without an error', () => {
    const c = client();
    renderWithClient(
      c,
      <ErrorBoundary>
        <Room options={{ onHandlerError: 'skip' }} />
        <Room options={{ onHandlerError: 'skip' }} />
        <Room options={{}} />
      </ErrorBoundary>,
    );
    expect(screen.queryByTestId('error')).toBeNull();
    expect(() => c.channel('room', { onHandlerError: 'redeliver' })).toThrow('channel room has skip');
  });
});
