import { StrictMode } from 'react';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { act, fireEvent, render, screen } from '@testing-library/react';
import { LifelineProvider, useChannel, useChannelMessages, useConnectionState, usePresence } from '../../src';
import { startServer, until } from '../support/server';

let server: Awaited<ReturnType<typeof startServer>>;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

describe('README quick start', () => {
  it('renders the connection state, one member and the echoed message, under StrictMode, without a React warning', async () => {
    const logged: string[] = [];
    const quiet = vi.spyOn(console, 'error').mockImplementation((...a) => void logged.push(a.map(String).join(' ')));
    const url = `${server.url}/v1`;
    const getToken = async () => 'unused';
    // The README's Room, with only the channel-state probe added (the caveat: wait for
    // 'subscribed' if your own echo matters).
    function Room({ name }: { name: string }) {
      const { state } = useConnectionState();
      const members = usePresence('room:1', { name });
      const { messages, publish } = useChannelMessages<{ from: string; text: string }>('room:1', { limit: 200 });
      const { state: channel } = useChannel('room:1');
      return (
        <>
          <p data-testid="status">
            {state} · {members.length} here · {channel}
          </p>
          <ul data-testid="messages">
            {messages.map((m) => (
              <li key={`${m.epoch}:${m.offset}`}>
                {m.data.from}: {m.data.text}
              </li>
            ))}
          </ul>
          <button onClick={() => publish({ from: name, text: 'hi' })}>Say hi</button>
        </>
      );
    }
    const App = () => (
      <LifelineProvider url={url} options={{ token: getToken }}>
        <Room name="ada" />
      </LifelineProvider>
    );
    try {
      const r = render(
        <StrictMode>
          <App />
        </StrictMode>,
      );
      await until(() => screen.getByTestId('status').textContent === 'open · 1 here · subscribed', 'open, present, subscribed');
      act(() => fireEvent.click(screen.getByText('Say hi')));
      act(() => fireEvent.click(screen.getByText('Say hi')));
      await until(() => screen.getByTestId('messages').textContent === 'ada: hiada: hi', 'both echoes');
      r.unmount();
      await until(() => server.stats().connections === 0, 'the Provider to close its client');
    } finally {
      quiet.mockRestore();
    }
    expect(logged).toEqual([]);
    expect(server.stats().handshakesAccepted).toBe(1);
  });
});
