// Components the server tests of a channel's per-component gap share: a feed that records
// what it is handed (`data` + offset) and each gap it shows ("reason from-to", once per
// change), and another hook that only keeps the channel subscribed.
import type { Position } from '@lifeline/core';
import { useChannel } from '../../src';

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
