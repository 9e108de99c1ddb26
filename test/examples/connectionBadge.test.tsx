// @vitest-environment happy-dom
// The chat's connection badge counts down to the next attempt: the delay it shows is the
// client's, however long the page was open before the connection dropped.
import { act, cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ConnectionSnapshot } from '@lifeline/core';

let snapshot: Partial<ConnectionSnapshot>;
vi.mock('@lifeline/react', () => ({ useConnectionState: () => snapshot }));
const { ConnectionBadge } = await import('../../examples/react-chat/src/ConnectionBadge');

afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

describe('react-chat ConnectionBadge', () => {
  it('a retry scheduled after a long open connection shows its own delay, not the time since mount added to it', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    snapshot = { state: 'open', attempt: 0, retryAt: null, retryInMs: null, lastError: null };
    const { rerender } = render(<ConnectionBadge />);
    expect(screen.getByTestId('connection').textContent).toBe('open');

    act(() => vi.advanceTimersByTime(10_000)); // the page stays open 10 s, then the connection drops
    snapshot = { state: 'closed', attempt: 1, retryAt: Date.now() + 500, retryInMs: 500, lastError: null };
    rerender(<ConnectionBadge />);
    expect(screen.getByTestId('connection').textContent).toBe('reconnecting · attempt 1 · retry in 0.5 s');

    act(() => vi.advanceTimersByTime(200));
    expect(screen.getByTestId('connection').textContent).toBe('reconnecting · attempt 1 · retry in 0.3 s');
  });
});
