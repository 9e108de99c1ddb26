// useChannel(name, { since }) with a checkpoint from another epoch (saved before the server
// lost its history) mounted while another hook (here a usePresence) keeps the channel
// subscribed: core keeps one position per channel and ignores `since`, so it never asked the
// server and raised no gap. The component went on live without one, where alone it gets
// core's 'epoch-changed' (up to the new epoch's retained messages, which follow it). It now
// shows its own: from its `since` to the position.
import { describe, expect, it } from 'vitest';
import { render } from '@testing-library/react';
import type { Position } from '@lifeline/core';
import { LifelineProvider, useChannel, usePresence } from '../../src';
import { until, useServerWithClients, subscribed } from '../support/server';

const t = useServerWithClients();

function Resume({ name, since, seen, gaps }: { name: string; since: Position; seen: string[]; gaps: string[] }) {
  const { gap } = useChannel<string>(name, (m) => void seen.push(`${m.data}${m.offset}`), { since });
  const said = gap && `${gap.reason} ${gap.from?.epoch}:${gap.from?.offset}-${gap.to.offset}`;
  if (said && gaps.at(-1) !== said) gaps.push(said);
  return null;
}

describe('useChannel with a `since` from another epoch', () => {
  for (const watching of [false, true]) {
    it(watching ? 'beside a usePresence: its own epoch-changed gap, as alone' : "alone: core's epoch-changed gap", async () => {
      const name = `room:since-epoch-${watching}-${Date.now()}`;
      const client = t.client();
      const writer = t.client();
      const seen: string[] = [];
      const gaps: string[] = [];
      const Here = () => (usePresence(name, { n: 1 }), null);
      const tree = (since?: Position) => (
        <LifelineProvider client={client}>
          {watching && <Here />}
          {since && <Resume name={name} since={since} seen={seen} gaps={gaps} />}
        </LifelineProvider>
      );
      const r = render(tree());
      if (watching) await subscribed(client, name);
      await writer.channel(name).publish('a');
      await writer.channel(name).publish('b');
      if (watching) await until(() => client.channel(name).position?.offset === 2, 'the watcher at b');
      r.rerender(tree({ offset: 1, epoch: 'old-epoch' }));
      await subscribed(client, name);
      await writer.channel(name).publish('c');
      await until(() => seen.includes('c3'), 'c');
      // Alone, core asked the server: its gap ends before the new epoch's retained messages,
      // which it delivers (PROTOCOL §5). Beside a watcher the channel is already past them.
      expect({ seen, gaps }).toEqual(
        watching ? { seen: ['c3'], gaps: ['epoch-changed old-epoch:1-2'] } : { seen: ['a1', 'b2', 'c3'], gaps: ['epoch-changed old-epoch:1-0'] },
      );
      r.unmount();
    });
  }
});
