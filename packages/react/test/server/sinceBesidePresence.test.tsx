// useChannel(name, { since }) mounted while another hook (here a usePresence) already keeps the
// channel subscribed past that checkpoint: core keeps one position per channel, so it ignores
// `since` and replays nothing (see core's ChannelOptions.since). The component went on live as
// if it had been handed everything after its checkpoint. It now shows the messages it cannot
// get as its gap ('handler-skipped', from its `since` to the channel's position).
import { describe, expect, it } from 'vitest';
import { render } from '@testing-library/react';
import type { Position } from '@lifeline/core';
import { LifelineProvider, useChannel, usePresence } from '../../src';
import { until, useServerWithClients, subscribed } from '../support/server';

const t = useServerWithClients();

function Resume({ name, since, seen, gaps }: { name: string; since: Position; seen: string[]; gaps: string[] }) {
  const { gap } = useChannel<string>(name, (m) => void seen.push(`${m.data}${m.offset}`), { since });
  const said = gap && `${gap.reason} ${gap.from?.offset}-${gap.to.offset}`;
  if (said && gaps.at(-1) !== said) gaps.push(said);
  return <p data-testid="gap">{said ?? 'none'}</p>;
}

describe('useChannel with `since` on a channel another hook keeps subscribed', () => {
  for (const watching of [false, true]) {
    it(watching ? 'past the checkpoint (usePresence): shows the messages it cannot get as its gap' : 'alone: replays from the checkpoint, no gap', async () => {
      const name = `room:since-${watching}-${Date.now()}`;
      const client = t.client();
      const writer = t.client();
      const seen: string[] = [];
      const gaps: string[] = [];
      const Here = () => (usePresence(name, { n: 1 }), null);
      const tree = (resume?: Position, on = name) => (
        <LifelineProvider client={client}>
          {watching && <Here />}
          {resume && <Resume name={on} since={resume} seen={seen} gaps={gaps} />}
        </LifelineProvider>
      );
      const r = render(tree());
      if (watching) await subscribed(client, name);
      const a = await writer.channel(name).publish('a');
      await writer.channel(name).publish('b');
      await writer.channel(name).publish('c');
      if (watching) await until(() => client.channel(name).position?.offset === 3, 'the watcher at c');
      const since = { offset: a.offset, epoch: a.epoch };
      r.rerender(tree(since));
      await subscribed(client, name);
      await writer.channel(name).publish('d');
      await until(() => seen.some((m) => m[0] === 'd'), 'd');
      expect({ seen, gaps }).toEqual(watching ? { seen: ['d4'], gaps: ['handler-skipped 1-3'] } : { seen: ['b2', 'c3', 'd4'], gaps: [] });
      // The gap is this channel's: on another name (a new channel, nothing missed) it is gone.
      r.rerender(tree(since, `${name}-other`));
      expect(r.getByTestId('gap').textContent).toBe('none');
      r.unmount();
    });
  }
});
