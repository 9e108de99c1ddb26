// Components the server tests of a channel's per-component gap share: a feed that records
// what it is handed (`data` + offset) and each gap it shows ("reason from-to", once per
// change), other hooks that only keep the channel subscribed, and the <Activity> tree.
import { Activity } from 'react';
import type { LifelineClient, Position } from '@lifeline/core';
import { LifelineProvider, useChannel, usePresence } from '../../src';

export function Feed({ name, since, seen, gaps }: { name: string; since?: Position; seen: string[]; gaps: string[] }) {
  const { gap } = useChannel<string>(name, (m) => void seen.push(`${m.data}${m.offset}`), since && { since });
  const said = gap && `${gap.reason} ${gap.from?.offset}-${gap.to.offset}`;
  if (said && gaps.at(-1) !== said) gaps.push(said);
  return null;
}

export function Other({ name }: { name: string }) {
  useChannel(name, () => {});
  return null;
}

/** Present on the channel (a header's usePresence): keeps it subscribed beside the feed. */
export function Present({ name }: { name: string }) {
  usePresence(name, { n: 1 });
  return null;
}

export type Beside = 'nothing' | 'usePresence' | 'useChannel';

/**
 * The tree of the <Activity> tests: a Feed inside <Activity> (shown or hidden) and, beside
 * it and always visible, another hook of the channel (or nothing).
 */
export const activityTree =
  (client: LifelineClient, name: string, beside: Beside, releaseDelayMs: number, seen: string[], gaps: string[]) => (shown: boolean) => (
    <LifelineProvider client={client} releaseDelayMs={releaseDelayMs}>
      {beside === 'usePresence' && <Present name={name} />}
      {beside === 'useChannel' && <Other name={name} />}
      <Activity mode={shown ? 'visible' : 'hidden'}>
        <Feed name={name} seen={seen} gaps={gaps} />
      </Activity>
    </LifelineProvider>
  );
