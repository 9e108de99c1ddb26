// The page of the demanding-user trial (trial.e2e.test.ts): probes that mount and unmount
// quickly on one channel while messages stream, each recording what its handler got and the
// gaps it showed, beside presence hooks that keep the channel subscribed throughout.
import { Activity, StrictMode, useEffect, useRef, useState } from 'react';
import type { LifelineClient, Message } from '@lifeline/core';
import { LifelineProvider, useChannel, useChannelMessages, useConnectionState, useLifeline, usePresence } from '@lifeline/react';

/** What one mounted component instance saw: `epoch:offset` per handler call, and its gaps. */
export interface ProbeLog {
  got: string[];
  gaps: string[];
  /** Offsets handed again after this handler threw on them (the redelivery the docs promise). */
  threw: number[];
  mounted: boolean;
  /** The channel's position (`epoch:offset`) when its effects first ran: it is owed every message after it. */
  at?: string;
}

export type Logs = Record<string, ProbeLog>;

/**
 * One component instance on `room`. `throwOn`: its handler throws the first time it is handed
 * the message with that `data.n` (a bug in the app's handler).
 */
function Probe({ id, room, logs, throwOn }: { id: string; room: string; logs: Logs; throwOn?: number }) {
  const log = (logs[id] ??= { got: [], gaps: [], threw: [], mounted: true });
  const { gap, channel } = useChannel<{ n: number }>(room, (m: Message<{ n: number }>) => {
    if (m.data.n === throwOn && !log.threw.includes(m.offset)) {
      log.threw.push(m.offset);
      throw new Error(`probe ${id} failed on ${m.data.n}`);
    }
    log.got.push(`${m.epoch}:${m.offset}`);
  });
  // `mounted`: its effects are live (false while unmounted or hidden by <Activity>).
  useEffect(() => {
    // After useChannel's effect (declared first): its handler is on the channel by now.
    const p = channel.position;
    log.at ??= p ? `${p.epoch}:${p.offset}` : '';
    log.mounted = true;
    return () => void (log.mounted = false);
  }, [log, channel]);
  const reason = gap && `${gap.reason}@${gap.to.epoch}:${gap.to.offset}`;
  useEffect(() => void (reason && !log.gaps.includes(reason) && log.gaps.push(reason)), [reason, log]);
  return <i data-probe={id} />;
}

function Status({ room }: { room: string }) {
  const { state } = useConnectionState();
  const members = usePresence(room, { name: 'me' });
  const watchers = usePresence(room);
  return (
    <p id="status" data-state={state}>
      {members.length}/{watchers.length}
    </p>
  );
}

/**
 * `slots` probes, each shown or not and remounted as a new instance on every show
 * (`gen`); a steady probe and the presence hooks stay mounted; a `shy` probe is hidden and
 * shown by <Activity>. The test flips slots and hides `shy` through `expose`.
 */
export function TrialApp({
  client,
  room,
  slots,
  logs,
  throwOn,
  expose,
}: {
  client: LifelineClient;
  room: string;
  slots: number;
  logs: Logs;
  throwOn?: number;
  expose: (flip: (slot: number, on: boolean) => void, hide: (hidden: boolean) => void) => void;
}) {
  const [shown, setShown] = useState<(number | null)[]>(() => Array.from({ length: slots }, () => null));
  const [hidden, setHidden] = useState(false);
  const gen = useRef(0);
  expose((slot, on) => setShown((s) => s.map((g, i) => (i !== slot ? g : on ? (g ?? ++gen.current) : null))), setHidden);
  return (
    <StrictMode>
      <LifelineProvider client={client} releaseDelayMs={40}>
        <Status room={room} />
        <Probe id="steady" room={room} logs={logs} />
        {/* One instance hidden and shown (its state kept, its effects cleaned up). */}
        <Activity mode={hidden ? 'hidden' : 'visible'}>
          <Probe id="shy" room={room} logs={logs} />
        </Activity>
        {throwOn !== undefined && <Probe id="thrower" room={room} logs={logs} throwOn={throwOn} />}
        {shown.map((g, i) => (g === null ? null : <Probe key={`${i}-${g}`} id={`${i}-${g}`} room={room} logs={logs} />))}
      </LifelineProvider>
    </StrictMode>
  );
}

/**
 * Every hook in one tree, rendered to a string on the server and hydrated in the browser:
 * a `url` Provider under StrictMode, a channel resumed from `since` (its server snapshot sits
 * at that position), its messages, presence entered and watched, the connection.
 */
export function SsrApp({ url, room, since }: { url: string; room: string; since: { offset: number; epoch: string } }) {
  return (
    <StrictMode>
      <LifelineProvider url={url} options={{ clientId: 'trial-ssr' }}>
        <SsrRoom room={room} since={since} />
      </LifelineProvider>
    </StrictMode>
  );
}

function SsrRoom({ room, since }: { room: string; since: { offset: number; epoch: string } }) {
  const client = useLifeline();
  const { state } = useConnectionState();
  const got = useRef<number[]>([]);
  const ch = useChannel<{ n: number }>(room, (m) => void got.current.push(m.offset), { since });
  const { messages } = useChannelMessages<{ n: number }>(room, { since, batchMs: 5 });
  const members = usePresence(room, { name: 'ssr' });
  const watchers = usePresence(room);
  return (
    <section id="ssr" data-client={typeof client.connect}>
      <p id="ssr-state">{state}</p>
      <p id="ssr-channel">
        {ch.state} {ch.position ? `${ch.position.offset}` : '-'} {ch.gap ? ch.gap.reason : 'no-gap'} {ch.error ? ch.error.code : 'no-error'}
      </p>
      <p id="ssr-messages">{messages.map((m) => m.data.n).join(',')}</p>
      <p id="ssr-members">
        {members.length}/{watchers.length}
      </p>
    </section>
  );
}
