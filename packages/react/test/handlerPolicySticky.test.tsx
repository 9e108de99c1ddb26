// Core refuses the other onHandlerError on a channel while it has handlers. As a React
// user sees it:
//  1. A policy does not outlive the hooks that named it: once their subscription is
//     released, the next page may name the other policy on that channel name.
//  2. The policy reaches core only from the hook's effect, never during render, so a
//     render React discards (renderToString here, a suspended render) fixes nothing.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act, cleanup, screen } from '@testing-library/react';
import { renderToString } from 'react-dom/server';
import { createClient, type ChannelOptions } from '@lifeline/core';
import { LifelineProvider, useChannel } from '../src';
import { renderWithClient } from './support/render';
import { ErrorBoundary } from './support/errorBoundary';

beforeEach(() => vi.useFakeTimers());
afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

function Room({ options }: { options: ChannelOptions }) {
  useChannel('room', () => {}, options);
  return <p data-testid="ok">ok</p>;
}

const client = () => createClient({ url: 'ws://127.0.0.1:9/v1', autoConnect: false, lifecycle: false });

describe('onHandlerError on a channel name used by successive pages', () => {
  it('a page naming the other policy after the first page is gone (subscription released) renders', () => {
    const c = client();
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => {});
    const r = renderWithClient(c, <ErrorBoundary><Room options={{ onHandlerError: 'skip' }} /></ErrorBoundary>);
    r.rerender(<ErrorBoundary>{null}</ErrorBoundary>); // navigate away
    act(() => vi.advanceTimersByTime(10_000)); // released: nothing uses 'room' any more
    r.rerender(<ErrorBoundary><Room options={{ onHandlerError: 'redeliver' }} /></ErrorBoundary>);
    quiet.mockRestore();
    expect(screen.queryByTestId('error')?.textContent ?? null).toBeNull();
  });

  it('a render React never commits (here: renderToString) does not fix the policy of the shared channel', () => {
    const c = client();
    renderToString(<LifelineProvider client={c}><Room options={{ onHandlerError: 'skip' }} /></LifelineProvider>);
    expect(() => c.channel('room', { onHandlerError: 'redeliver' })).not.toThrow();
  });

  it('README: a conflicting hook throws from its effect, so a render alone (renderToString) does not throw', () => {
    const c = client();
    const page = (
      <LifelineProvider client={c}>
        <Room options={{ onHandlerError: 'skip' }} />
        <Room options={{ onHandlerError: 'redeliver' }} />
      </LifelineProvider>
    );
    expect(() => renderToString(page)).not.toThrow();
  });
});
