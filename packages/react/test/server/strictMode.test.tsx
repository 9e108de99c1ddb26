import { StrictMode } from 'react';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, render, screen } from '@testing-library/react';
import { LifelineProvider, useChannel, useConnectionState, useLifeline, usePresence } from '../../src';
import type { LifelineClient } from '@lifeline/core';
import { framesIn, startServer, until } from '../support/server';

let server: Awaited<ReturnType<typeof startServer>>;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());
afterEach(cleanup);

const RELEASE_MS = 30;

function Status({ grab }: { grab: (c: LifelineClient) => void }) {
  grab(useLifeline());
  return <p data-testid="status">{useConnectionState().state}</p>;
}

function Room() {
  const { state: connection } = useConnectionState();
  const { state } = useChannel('room:strict', () => {});
  // Another channel: presence holds its own subscription, which would mask the channel's.
  const members = usePresence('room:strict-presence', { name: 'ada' });
  return (
    <p data-testid="room">
      {connection} {state} {members.length}
    </p>
  );
}

/** Resolves once every release timer scheduled before it has fired and its frames reached the server. */
async function settle(client: LifelineClient) {
  await new Promise((r) => setTimeout(r, RELEASE_MS + 5));
  // Frames on one socket arrive in order: once this publish is acked, any earlier unsub arrived too.
  await client.channel('room:strict').publish('fence');
}

describe('StrictMode against the reference server', () => {
  it('one connection, one sub per channel, one presence.enter, no unsub/leave; unmount releases and closes', async () => {
    let client!: LifelineClient;
    const tree = (withRoom: boolean) => (
      <StrictMode>
        <LifelineProvider url={`${server.url}/v1`} releaseDelayMs={RELEASE_MS}>
          <Status grab={(c) => (client = c)} />
          {withRoom && <Room />}
        </LifelineProvider>
      </StrictMode>
    );
    const { unmount, rerender } = render(tree(false));
    // Mount the hooks only once the socket is open, so a StrictMode unsubscribe would
    // really reach the wire instead of being reconciled away before the handshake.
    await until(() => screen.getByTestId('status').textContent === 'open', 'the connection to open');
    rerender(tree(true));
    await until(() => screen.getByTestId('room').textContent === 'open subscribed 1', 'open, subscribed, 1 member');
    await settle(client);

    const stats = server.stats();
    expect(stats.handshakesAccepted).toBe(1);
    expect(stats.connections).toBe(1);
    expect(framesIn(server, 'hello')).toBe(1);
    expect(framesIn(server, 'sub')).toBe(2);
    expect(framesIn(server, 'unsub')).toBe(0);
    expect(framesIn(server, 'presence.enter')).toBe(1);
    expect(framesIn(server, 'presence.leave')).toBe(0);

    unmount();
    // The Provider owns the client it created from `url`: it closes it after the delay.
    await until(() => server.stats().connections === 0, 'the owned client to close');
    expect(client.state).toBe('closed');
    expect(framesIn(server, 'sub')).toBe(2);
  });
});
