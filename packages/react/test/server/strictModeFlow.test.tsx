import { StrictMode, useState } from 'react';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { act, render, screen } from '@testing-library/react';
import { createClient, type LifelineClient } from '@lifeline/core';
import { LifelineProvider, useChannel, useChannelMessages, useConnectionState, useLifeline, usePresence } from '../../src';
import { startServer, until } from '../support/server';

let server: Awaited<ReturnType<typeof startServer>>;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

/** What a core channel still holds from the hooks (internal fields of the source build). */
function leftovers(client: LifelineClient, name: string) {
  const ch = client.channel(name) as unknown as {
    _handlers: unknown[];
    _snapListeners: Set<unknown> | null;
    listenerCount(e: string): number;
  };
  return { handlers: ch._handlers.length, snapshotListeners: ch._snapListeners?.size ?? 0, presenceListeners: ch.listenerCount('presence') };
}

describe('every hook under StrictMode, a channel switch and a dropped connection', () => {
  it('each message once and in order, none of the old channel after the switch, no React warning, nothing left after unmount', async () => {
    const logged: string[] = [];
    const error = vi.spyOn(console, 'error').mockImplementation((...a) => void logged.push(a.map(String).join(' ')));
    const warn = vi.spyOn(console, 'warn').mockImplementation((...a) => void logged.push(a.map(String).join(' ')));
    const room = `room:flow-${Date.now()}`;
    const [a, b] = [`${room}-a`, `${room}-b`];
    const pub = createClient({ url: `${server.url}/v1` });
    let client!: LifelineClient;
    let rename!: (n: string) => void;
    const handled: string[] = [];
    function Room() {
      client = useLifeline();
      const [name, setName] = useState(a);
      rename = setName;
      const { state } = useConnectionState();
      // A new handler and a new options object on every render.
      const channel = useChannel<string>(name, (m) => void handled.push(`${m.channel === a ? 'a' : 'b'}:${m.data}`), {});
      const { messages } = useChannelMessages<string>(name, { limit: 5, batchMs: 1 });
      const members = usePresence(name, { name: 'ada' });
      return (
        <p data-testid="room">
          {state} {channel.state} [{messages.map((m) => m.data).join(',')}] {members.length}
        </p>
      );
    }
    const text = () => screen.getByTestId('room').textContent!;
    try {
      const r = render(
        <StrictMode>
          <LifelineProvider url={`${server.url}/v1`} options={{ reconnect: { initialDelayMs: 10, maxDelayMs: 20 } }} releaseDelayMs={20}>
            <Room />
          </LifelineProvider>
        </StrictMode>,
      );
      await until(() => text() === 'open subscribed [] 1', 'open, subscribed, present');
      for (let i = 0; i < 7; i++) await pub.publish(a, `a${i}`);
      await until(() => text().includes('[a2,a3,a4,a5,a6]'), 'the last five of a');

      act(() => rename(b));
      for (let i = 0; i < 3; i++) await pub.publish(a, `late${i}`);
      await pub.publish(b, 'b0');
      await until(() => text().includes('[b0]'), 'b0');
      server.faults.dropAll();
      for (let i = 1; i < 4; i++) await pub.publish(b, `b${i}`);
      await until(() => text() === 'open subscribed [b0,b1,b2,b3] 1', 'b3 after the drop, present again');

      expect(handled).toEqual([...Array.from({ length: 7 }, (_, i) => `a:a${i}`), 'b:b0', 'b:b1', 'b:b2', 'b:b3']);
      r.unmount();
      await until(() => client.state === 'closed', 'the owned client to close');
      // Presence leaves one release delay after the unmount, then releases the subscription
      // it holds one more delay later.
      await new Promise((resolve) => setTimeout(resolve, 3 * 20));
      for (const name of [a, b]) {
        expect(leftovers(client, name)).toEqual({ handlers: 0, snapshotListeners: 0, presenceListeners: 0 });
      }
    } finally {
      error.mockRestore();
      warn.mockRestore();
      await pub.close();
    }
    expect(logged).toEqual([]);
  });
});
