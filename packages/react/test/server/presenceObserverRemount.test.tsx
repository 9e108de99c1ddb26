// An observe-only usePresence (no info) on a channel held a subscription under the same key as
// a useChannel of that name without options: one lease. While the useChannel component was
// away (a remount within releaseDelayMs), presence's do-nothing handler was still on the lease,
// so the messages of that moment counted as handled and the remounted component never got
// them, and no gap said so. usePresence now always holds a lease of its own.
import { describe, expect, it } from 'vitest';
import { render } from '@testing-library/react';
import { LifelineProvider, useChannel, usePresence } from '../../src';
import { until, useServerWithClients, subscribed } from '../support/server';

const t = useServerWithClients();

function Feed({ name, seen, gaps }: { name: string; seen: string[]; gaps: string[] }) {
  const { gap } = useChannel<string>(name, (m) => void seen.push(m.data));
  if (gap) gaps.push(gap.reason);
  return null;
}

describe('an observing usePresence beside a useChannel that remounts within releaseDelayMs', () => {
  it('the remounted useChannel still gets the messages of its absence, in order, without a gap', async () => {
    const name = `room:observer-${Date.now()}`;
    const client = t.client();
    const seen: string[] = [];
    const gaps: string[] = [];
    const Watch = () => (usePresence(name), null);
    const tree = (shown: boolean) => (
      <LifelineProvider client={client} releaseDelayMs={60_000}>
        <Watch />
        {shown && <Feed name={name} seen={seen} gaps={gaps} />}
      </LifelineProvider>
    );
    const r = render(tree(true));
    await subscribed(client, name);
    await client.channel(name).publish('a');
    await until(() => seen.length === 1, 'a');
    r.rerender(tree(false));
    await client.channel(name).publish('b');
    r.rerender(tree(true));
    await client.channel(name).publish('c');
    await until(() => seen.includes('c'), 'c');
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(gaps).toEqual([]);
    r.unmount();
  });
});
