import { afterEach, describe, expect, it, vi } from 'vitest';
import { Activity } from 'react';
import { act, cleanup, render } from '@testing-library/react';
import { renderToString } from 'react-dom/server';
import { hydrateRoot } from 'react-dom/client';
import { createClient } from '@lifeline/core';
import { createManualClock, createManualLifecycle } from '@lifeline/core/testing';
import { LifelineProvider, useChannel, useConnectionState, usePresence } from '../src';
import { FakeSocket, welcomeFrame } from '../../core/test/support/fakeSocket';

afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

function Status() {
  return <p>{useConnectionState().state}</p>;
}

describe('<LifelineProvider url> shown again while its client is closing', () => {
  it('connects again once the delayed close is done (<Activity> hidden, then visible mid-close)', async () => {
    vi.useFakeTimers();
    FakeSocket.all = [];
    const clock = createManualClock(1_000_000);
    const options = { WebSocket: FakeSocket as any, clock, lifecycle: createManualLifecycle() };
    const tree = (mode: 'visible' | 'hidden') => (
      <Activity mode={mode}>
        <LifelineProvider url="ws://test/v1" options={options} releaseDelayMs={100}>
          <Status />
        </LifelineProvider>
      </Activity>
    );
    const r = render(tree('visible'));
    expect(FakeSocket.all.length).toBe(1);
    act(() => {
      FakeSocket.all[0]!.open();
      FakeSocket.all[0]!.push(welcomeFrame());
    });
    r.rerender(tree('hidden'));
    act(() => vi.advanceTimersByTime(100)); // the delayed close() starts, waiting for the close handshake
    r.rerender(tree('visible'));
    expect(FakeSocket.all.length).toBe(1); // not while the close runs
    await act(async () => {
      clock.advance(1000); // the peer never answers: close() ends after its 1 s
      await Promise.resolve();
    });
    expect(FakeSocket.all.length).toBe(2);
    r.unmount();
  });
});

describe('hydration', () => {
  it('a client already connecting when the page hydrates matches the server HTML (then shows its state)', async () => {
    const serverClient = createClient({ url: 'ws://test/v1', autoConnect: false, lifecycle: false });
    const App = ({ client }: { client: ReturnType<typeof createClient> }) => (
      <LifelineProvider client={client}>
        <Status />
        <Channel />
        <Members />
      </LifelineProvider>
    );
    function Channel() {
      const { state, position } = useChannel('room', undefined, { since: { offset: 4, epoch: 'e1' } });
      return <p>{`${state} ${position?.offset}`}</p>;
    }
    function Members() {
      return <p>{usePresence('room').length}</p>;
    }
    const html = renderToString(<App client={serverClient} />);
    expect(html).toContain('closed');
    const container = document.createElement('div');
    container.innerHTML = html;
    document.body.appendChild(container);
    // In the browser a client made at module scope is connecting before React hydrates.
    FakeSocket.all = [];
    const browserClient = createClient({ url: 'ws://test/v1', WebSocket: FakeSocket as any, lifecycle: false });
    expect(browserClient.state).toBe('connecting');
    const errors: unknown[] = [];
    await act(async () => {
      hydrateRoot(container, <App client={browserClient} />, { onRecoverableError: (e) => errors.push(e) });
    });
    expect(errors.map(String)).toEqual([]);
    expect(container.textContent).toContain('connecting');
    void browserClient.close();
    container.remove();
  });
});
