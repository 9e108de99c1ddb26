import { useEffect } from 'react';
import { describe, expect, it } from 'vitest';
import { render } from '@testing-library/react';
import { LifelineProvider, useChannelMessages, useConnectionState, usePresence } from '../../src';
import { until, useServerWithClients } from '../support/server';

const t = useServerWithClients();

interface View {
  states: string[];
  texts: string[];
  members: number;
}

function Chat({ room, name, view }: { room: string; name: string; view: View }) {
  const { state } = useConnectionState();
  const { messages } = useChannelMessages<string>(room, { limit: 1000 });
  const members = usePresence(room, { name });
  useEffect(() => {
    if (view.states.at(-1) !== state) view.states.push(state);
  }, [state, view]);
  view.texts = messages.map((m) => m.data);
  view.members = members.length;
  return null;
}

function mount(room: string, name: string) {
  // Fast, deterministic-enough retries so the test does not wait on default backoff.
  const client = t.client({ initialDelayMs: 50, maxDelayMs: 200 });
  const view: View = { states: [], texts: [], members: 0 };
  render(
    <LifelineProvider client={client}>
      <Chat room={room} name={name} view={view} />
    </LifelineProvider>,
  );
  return { client, view };
}

describe('hooks over the real client and server', () => {
  it('two clients see the same complete, ordered list after the server drops every connection mid-publish', async () => {
    const room = `room:drop-${Date.now()}`;
    const a = mount(room, 'ada');
    const b = mount(room, 'bob');
    await until(() => a.view.members === 2 && b.view.members === 2, 'both members present');

    const expected: string[] = [];
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++) {
      const text = `a${i}`;
      expected.push(text);
      sends.push(a.client.channel<string>(room).publish(text));
      if (i === 7) t.server.faults.dropAll();
    }
    await Promise.all(sends);
    // Both clients reconnect: two first handshakes plus at least two after the drop.
    // The publisher's acks prove only its own reconnect, so wait for the other's.
    await until(() => t.server.stats().handshakesAccepted >= 4, 'both clients reconnected');

    await until(
      () => a.view.texts.length === expected.length && b.view.texts.length === expected.length,
      'both lists complete',
    );
    expect(a.view.texts).toEqual(expected);
    expect(b.view.texts).toEqual(expected);
    await until(() => a.view.states.at(-1) === 'open' && b.view.states.at(-1) === 'open', 'both open again');
    for (const { view } of [a, b]) {
      // open, then something not open (the drop), then open again.
      const firstOpen = view.states.indexOf('open');
      const afterDrop = view.states.findIndex((s, i) => i > firstOpen && s !== 'open');
      expect(afterDrop).toBeGreaterThan(firstOpen);
      expect(view.states.slice(afterDrop)).toContain('open');
    }
  });
});
