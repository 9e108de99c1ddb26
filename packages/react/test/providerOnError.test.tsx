// README (<LifelineProvider>, onError): a `url` Provider's client errors reach `onError`
// instead of console.error, from its first connection (the client is made inside the
// Provider, so an app had no way to listen before it connected: a refused subscription
// was printed on console.error whatever the app did; found by a socket.io migrator's trial).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act, cleanup, render } from '@testing-library/react';
import { StrictMode, type ReactNode } from 'react';
import type { LifelineError } from '@lifeline/core';
import { LifelineProvider, useChannel } from '../src';
import { FakeSocket, welcomeFrame } from '../../core/test/support/fakeSocket';

let consoleError: { mock: { calls: unknown[][] }; mockRestore(): void };
beforeEach(() => {
  vi.useFakeTimers();
  consoleError = vi.spyOn(console, 'error').mockImplementation(() => {});
});
afterEach(() => {
  cleanup();
  consoleError.mockRestore();
  vi.useRealTimers();
});

const codes = (errors: LifelineError[]) => errors.map((e) => `${e.code}:${e.serverCode ?? ''}:${e.channel}`);

describe('<LifelineProvider onError>', () => {
  it.each([false, true])("hears a url Provider's client errors from its first connection (StrictMode: %s)", async (strict) => {
    FakeSocket.all = [];
    const errors: LifelineError[] = [];
    let state = '';
    function Feed() {
      state = useChannel('secret').state;
      return null;
    }
    const tree: ReactNode = (
      <LifelineProvider url="ws://test/v1" options={{ WebSocket: FakeSocket as any }} onError={(e) => errors.push(e)}>
        <Feed />
      </LifelineProvider>
    );
    const r = render(strict ? <StrictMode>{tree}</StrictMode> : tree);
    const sock = FakeSocket.all.at(-1)!;
    sock.open();
    sock.push(welcomeFrame());
    const sub = sock.frames('sub').at(-1);
    sock.push({ type: 'error', ref: sub.ref, channel: 'secret', code: 'FORBIDDEN', message: 'no' });
    await act(async () => {});
    expect(state).toBe('failed');
    expect(codes(errors)).toEqual(['SERVER_ERROR:FORBIDDEN:secret']);
    expect(consoleError).not.toHaveBeenCalled();
    r.unmount();
    await act(async () => vi.advanceTimersByTime(1000));
  });
});
