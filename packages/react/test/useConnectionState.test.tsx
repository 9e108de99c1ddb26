import { afterEach, describe, expect, it } from 'vitest';
import { act, cleanup, screen } from '@testing-library/react';
import { useConnectionState } from '../src';
import { FakeClient } from './support/fakeClient';
import { renderWithClient } from './support/render';

afterEach(cleanup);

function Status({ renders }: { renders: string[] }) {
  const s = useConnectionState();
  renders.push(s.state);
  return (
    <p data-testid="status">
      {s.state} attempt={s.attempt} retryInMs={String(s.retryInMs)} error={s.lastError?.code ?? 'none'}
    </p>
  );
}

describe('useConnectionState', () => {
  it('renders the current snapshot and follows every change', () => {
    const client = new FakeClient();
    const renders: string[] = [];
    renderWithClient(client, <Status renders={renders} />);
    expect(screen.getByTestId('status').textContent).toBe('closed attempt=0 retryInMs=null error=none');

    act(() => client.setSnapshot({ state: 'open', reason: 'handshake' }));
    expect(screen.getByTestId('status').textContent).toBe('open attempt=0 retryInMs=null error=none');

    act(() => client.setSnapshot({ state: 'closed', attempt: 2, retryInMs: 750, reason: 'socket-closed' }));
    expect(screen.getByTestId('status').textContent).toBe('closed attempt=2 retryInMs=750 error=none');
    expect(renders).toEqual(['closed', 'open', 'closed']);
  });

  it('unsubscribes from the client on unmount', () => {
    const client = new FakeClient();
    const { unmount } = renderWithClient(client, <Status renders={[]} />);
    expect(client.storeListeners).toBe(1);
    unmount();
    expect(client.storeListeners).toBe(0);
  });
});
