import { StrictMode } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { render } from '@testing-library/react';
import { LifelineProvider, useChannelMessages, usePresence } from '../../src';
import { until, useServerWithClients } from '../support/server';

const t = useServerWithClients();

const makeClient = () => t.client();

/** Resolves once the server accepted `n` more handshakes than when it was called. */
const handshakes = () => {
  const before = t.server.stats().handshakesAccepted;
  return (n: number) => until(() => t.server.stats().handshakesAccepted >= before + n, `${n} new handshake(s)`, 5_000);
};

describe('after the server restarts (a new epoch)', () => {
  it('the list keeps the old messages, appends the new epoch in order and says there was a gap; keys by epoch and offset stay unique', async () => {
    const room = `room:restart-${Date.now()}`;
    const client = makeClient();
    const logged: string[] = [];
    const quiet = vi.spyOn(console, 'error').mockImplementation((...a) => void logged.push(a.map(String).join(' ')));
    function List() {
      const { messages, gap } = useChannelMessages<string>(room, { batchMs: 1 });
      return (
        <ul data-testid="list" data-gap={gap?.reason ?? ''}>
          {/* The key the README recommends: offsets start over in a new epoch. */}
          {messages.map((m) => (
            <li key={`${m.epoch}:${m.offset}`}>{`${m.offset}${m.data}`}</li>
          ))}
        </ul>
      );
    }
    try {
      const r = render(
        <LifelineProvider client={client}>
          <List />
        </LifelineProvider>,
      );
      const list = () => r.getByTestId('list');
      const channel = client.channel<string>(room);
      await until(() => channel.getSnapshot().state === 'subscribed', 'subscribed');
      await channel.publish('a');
      await channel.publish('b');
      await until(() => list().textContent === '1a2b', 'a and b');
      const reconnected = handshakes();
      await t.server.faults.restart();
      await reconnected(1);
      await until(() => channel.getSnapshot().state === 'subscribed', 'subscribed again');
      await channel.publish('c');
      await channel.publish('d');
      await until(() => list().textContent === '1a2b1c2d', 'c and d after a and b');
      expect(list().dataset.gap).toBe('epoch-changed');
    } finally {
      quiet.mockRestore();
    }
    expect(logged).toEqual([]);
  });

  it('usePresence under StrictMode shows both members again after a dropped connection and after a restart', async () => {
    const room = `room:presence-${Date.now()}`;
    const views = [makeClient(), makeClient()].map((client, i) => {
      const view = { ids: '' };
      function Members() {
        const members = usePresence(room, { name: `user${i}` });
        view.ids = members.map((m) => m.clientId).sort().join(',');
        return null;
      }
      render(
        <StrictMode>
          <LifelineProvider client={client}>
            <Members />
          </LifelineProvider>
        </StrictMode>,
      );
      return view;
    });
    const both = t.clients.map((c) => c.clientId).sort().join(',');
    const allSee = (what: string) => until(() => views.every((v) => v.ids === both), what, 5_000);
    await allSee('both members');

    let reconnected = handshakes();
    t.server.faults.dropAll();
    await reconnected(2);
    await allSee('both members after the drop');

    reconnected = handshakes();
    await t.server.faults.restart();
    await reconnected(2);
    // The restarted server lost every member: each client enters again by itself. The lists
    // above still hold the old members, so a newcomer checks what the server has.
    const observer = makeClient();
    const seen = { ids: '' };
    function Observer() {
      seen.ids = usePresence(room).map((m) => m.clientId).sort().join(',');
      return null;
    }
    render(
      <LifelineProvider client={observer}>
        <Observer />
      </LifelineProvider>,
    );
    await until(() => seen.ids === both, 'a newcomer to see both members after the restart', 5_000);
    await allSee('both members after the restart');
  });
});
