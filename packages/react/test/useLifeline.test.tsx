import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render, renderHook } from '@testing-library/react';
import { LifelineProvider, useChannel, useChannelMessages, useConnectionState, useLifeline, usePresence } from '../src';
import { FakeClient } from './support/fakeClient';

afterEach(cleanup);

describe('useLifeline', () => {
  it('returns the client of the nearest provider', () => {
    const client = new FakeClient();
    const { result } = renderHook(() => useLifeline(), {
      wrapper: ({ children }) => <LifelineProvider client={client}>{children}</LifelineProvider>,
    });
    expect(result.current).toBe(client);
  });

  it.each<[string, () => unknown]>([
    ['useLifeline', () => useLifeline()],
    ['useConnectionState', () => useConnectionState()],
    ['useChannel', () => useChannel('room')],
    ['useChannelMessages', () => useChannelMessages('room')],
    ['usePresence', () => usePresence('room')],
  ])('%s throws a clear error outside a provider', (_name, hook) => {
    // React logs the render error to console.error; keep the test output readable.
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      expect(() => renderHook(hook)).toThrow(/inside <LifelineProvider/);
    } finally {
      quiet.mockRestore();
    }
  });

  it('a provider without client or url throws a clear error', () => {
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      expect(() =>
        render(
          // @ts-expect-error neither `client` nor `url` (a compile error; the throw is for untyped callers)
          <LifelineProvider>x</LifelineProvider>,
        ),
      ).toThrow(/needs `client` or `url`/);
    } finally {
      quiet.mockRestore();
    }
  });

  it('never connects or closes a client it was given', () => {
    const client = new FakeClient();
    const { unmount } = render(<LifelineProvider client={client}>x</LifelineProvider>);
    unmount();
    expect(client.connects).toBe(0);
    expect(client.closed).toBe(0);
  });
});
