// `gap` used to be the channel's lastGap as is: shared by every component and never cleared,
// so a component mounted after a gap showed it at once. It is now the last gap since this
// component mounted on the channel.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act, cleanup, screen } from '@testing-library/react';
import type { GapEvent } from '@lifeline/core';
import { useChannel } from '../src';
import { FakeClient } from './support/fakeClient';
import { renderWithClient } from './support/render';

beforeEach(() => vi.useFakeTimers());
afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

const gapAt = (offset: number): GapEvent => ({ channel: 'room', from: null, to: { offset, epoch: 'e1' }, reason: 'out-of-retention' });

function Gap({ id }: { id: string }) {
  const { gap } = useChannel('room');
  return <p data-testid={id}>{gap ? gap.to?.offset : '-'}</p>;
}

describe('useChannel gap', () => {
  it('a component mounted after a gap does not show it; a later gap shows in every component', () => {
    const client = new FakeClient();
    const channel = client.channel('room');
    const { rerender } = renderWithClient(client, <Gap id="first" />);
    act(() => channel.setSnapshot({ lastGap: gapAt(3) }));
    expect(screen.getByTestId('first').textContent).toBe('3');

    rerender(
      <>
        <Gap id="first" />
        <Gap id="late" />
      </>,
    );
    expect(screen.getByTestId('late').textContent).toBe('-');
    expect(screen.getByTestId('first').textContent).toBe('3');

    act(() => channel.setSnapshot({ lastGap: gapAt(9) }));
    expect(screen.getByTestId('late').textContent).toBe('9');
    expect(screen.getByTestId('first').textContent).toBe('9');
  });
});
