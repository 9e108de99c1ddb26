// A browser trial's false alarm: a fresh useChannel(name) (no `since`) mounted beside a
// useChannel(name, h, { since }) whose `since` is out of the server's retention (or of another
// epoch), both before the channel's first subscribe answer, showed core's gap for that answer
// as its own. It covers messages published before it mounted, which it never asked for: alone
// it starts where the answer puts it, with no gap. Only that first answer's gap is left out:
// a later one (a reconnect's resubscribe out of retention) is its loss and still shown, as it
// is to a component mounted while the channel is subscribing again. Nor is that first gap
// shown to a hook whose own `since` is past its end (inside retention: it lost nothing).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, render } from '@testing-library/react';
import { createClient, type GapEvent, type LifelineClient, type Position } from '@lifeline/core';
import { createServer, type LifelineServer } from '@lifeline/server';
import { LifelineProvider, useChannel } from '../src';
import { until } from './support/server';

let server: LifelineServer;
const clients: LifelineClient[] = [];
beforeAll(async () => {
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  server = await createServer({ port: 0, host: '127.0.0.1', retention: 2, logger: quiet });
});
afterEach(async () => {
  cleanup();
  await Promise.all(clients.splice(0).map((c) => c.close()));
});
afterAll(() => server.close());
const client = (autoConnect = true) => {
  const c = createClient({ url: `${server.url}/v1`, autoConnect, reconnect: { initialDelayMs: 10, maxDelayMs: 50 } });
  clients.push(c);
  return c;
};

/** What one component shows: its `gap` as "reason from-to" (null: none), and what it was handed. */
type View = { gap: string | null; seen: number[] };
const said = (g: GapEvent | null) => g && `${g.reason} ${g.from ? `${g.from.epoch == 'old' ? 'old:' : ''}${g.from.offset}` : null}-${g.to.offset}`;

function Feed({ name, since, view }: { name: string; since?: Position; view: View }) {
  view.gap = said(useChannel<string>(name, (m) => void view.seen.push(m.offset), since && { since }).gap);
  return null;
}

describe('a fresh useChannel beside one whose `since` the first subscribe answer says lost', () => {
  for (const [reason, epoch, oldFirst] of [
    ['out-of-retention', '', false],
    ['out-of-retention', '', true],
    ['epoch-changed', 'old', false],
    ['epoch-changed', 'old', true],
  ] as const) {
    it(`shows no ${reason} gap of the first answer (mounted ${oldFirst ? 'after' : 'before'} it), a later one it does`, async () => {
      const name = `room:fresh-beside-${reason}-${oldFirst}-${Date.now()}`;
      const writer = client();
      for (const d of ['a', 'b', 'c', 'd', 'e']) await writer.channel(name).publish(d);
      const since = { offset: 1, epoch: epoch || (await writer.channel(name).publish('f')).epoch };
      // Not connected yet: both effects run before any subscribe is answered.
      const reader = client(false);
      const fresh: View = { gap: null, seen: [] };
      const old: View = { gap: null, seen: [] };
      const late: View = { gap: null, seen: [] };
      const tree = (withLate = false) => (
        <LifelineProvider client={reader}>
          {oldFirst && <Feed name={name} since={since} view={old} />}
          <Feed name={name} view={fresh} />
          {!oldFirst && <Feed name={name} since={since} view={old} />}
          {withLate && <Feed name={name} view={late} />}
        </LifelineProvider>
      );
      const r = render(tree());
      reader.connect();
      const channel = reader.channel(name);
      await until(() => channel.getSnapshot().state == 'subscribed', 'subscribed');
      const head = await writer.channel(name).publish('g');
      await until(() => fresh.seen.includes(head.offset) && old.seen.includes(head.offset), 'g');
      r.rerender(tree());
      const lost = `${reason} ${epoch ? 'old:' : ''}1-${head.offset - 3}`;
      expect({ fresh: fresh.gap, old: old.gap }).toEqual({ fresh: null, old: lost });

      // A later loss is the fresh component's: dropped, more published than the server
      // retains, back. So it is for one mounted while the channel subscribes again.
      await reader.close();
      r.rerender(tree(true));
      for (const d of ['h', 'i', 'j', 'k']) await writer.channel(name).publish(d);
      reader.connect();
      await until(() => channel.getSnapshot().state == 'subscribed', 'subscribed again');
      const last = await writer.channel(name).publish('l');
      await until(() => fresh.seen.includes(last.offset) && late.seen.includes(last.offset), 'l');
      r.rerender(tree(true));
      const again = `out-of-retention ${head.offset}-${last.offset - 3}`;
      expect({ fresh: fresh.gap, old: old.gap, late: late.gap }).toEqual({ fresh: again, old: again, late: again });
      r.unmount();
    });
  }

  it('a `since` inside retention beside it shows no gap either: the loss ends before it', async () => {
    const name = `room:recent-beside-old-${Date.now()}`;
    const writer = client();
    let top: Position | undefined;
    for (const d of ['a', 'b', 'c', 'd', 'e', 'f']) top = await writer.channel(name).publish(d);
    // Retention 2 keeps 5 and 6: a `since` of 5 loses nothing, one of 1 loses 2..4.
    const old = { offset: 1, epoch: top!.epoch };
    const recent = { offset: top!.offset - 1, epoch: top!.epoch };
    const reader = client(false);
    const views = { old: { gap: null, seen: [] } as View, recent: { gap: null, seen: [] } as View };
    const tree = () => (
      <LifelineProvider client={reader}>
        <Feed name={name} since={old} view={views.old} />
        <Feed name={name} since={recent} view={views.recent} />
      </LifelineProvider>
    );
    const r = render(tree());
    reader.connect();
    await until(() => reader.channel(name).getSnapshot().state == 'subscribed', 'subscribed');
    const head = await writer.channel(name).publish('g');
    await until(() => views.old.seen.includes(head.offset) && views.recent.seen.includes(head.offset), 'g');
    r.rerender(tree());
    expect({ old: views.old.gap, recent: views.recent.gap }).toEqual({ old: `out-of-retention 1-${top!.offset - 2}`, recent: null });
    expect(views.recent.seen).toEqual([top!.offset, head.offset]);
    r.unmount();
  });
});
