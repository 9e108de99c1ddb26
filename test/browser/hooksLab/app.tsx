// The page the React hook tests drive in Chromium. Rendered to a string in Node (SSR)
// and hydrated in the browser from the same module, so a mismatch would be React's.
import { StrictMode, useState, type ReactNode } from 'react';
import type { LifelineClient } from '@lifeline/core';
import { LifelineProvider, useChannelMessages, useConnectionState, usePresence } from '@lifeline/react';

/** Connection state, the room's messages (`channel:offset:n`) and its members. */
export function Room({ room, name }: { room: string; name: string }) {
  const { state } = useConnectionState();
  const { messages, state: channelState } = useChannelMessages<{ n: number }>(room, { batchMs: 5 });
  const members = usePresence(room, { name });
  return (
    <section>
      <p id="state">{state}</p>
      <p id="channel-state">{channelState}</p>
      <p id="members">{members.map((m) => (m.info as { name: string }).name).sort().join(',')}</p>
      <p id="messages">{messages.map((m) => `${m.channel}:${m.offset}:${m.data.n}`).join(' ')}</p>
    </section>
  );
}

/** A room whose name the test changes at run time (`window.lab.setRoom`). */
function SwitchingRoom({ first, name, expose }: { first: string; name: string; expose: (set: (r: string) => void) => void }) {
  const [room, setRoom] = useState(first);
  expose(setRoom);
  return <Room room={room} name={name} />;
}

/** What the server renders and the browser hydrates: StrictMode, a `url` Provider. */
export function HydratedApp({ url, room, name, expose = () => {} }: { url: string; room: string; name: string; expose?: (set: (r: string) => void) => void }) {
  return (
    <StrictMode>
      <LifelineProvider url={url} options={{ clientId: `lab-${name}` }}>
        <SwitchingRoom first={room} name={name} expose={expose} />
      </LifelineProvider>
    </StrictMode>
  );
}

/** A Provider over a client the page owns, switched at run time (`window.lab.useClient`). */
export function SwappingApp({ initial, expose, children }: { initial: LifelineClient; expose: (set: (c: LifelineClient) => void) => void; children: ReactNode }) {
  const [client, setClient] = useState(initial);
  expose(setClient);
  return (
    <StrictMode>
      <LifelineProvider client={client}>{children}</LifelineProvider>
    </StrictMode>
  );
}

/** Mounts presence for `names` (one component each); the test changes the list while offline. */
export function PresenceApp({ client, room, expose }: { client: LifelineClient; room: string; expose: (set: (names: string[]) => void) => void }) {
  const [names, setNames] = useState<string[]>([]);
  expose(setNames);
  return (
    <StrictMode>
      <LifelineProvider client={client}>
        <Watcher room={room} />
        {names.map((n) => (
          <Member key={n} room={room} name={n} />
        ))}
      </LifelineProvider>
    </StrictMode>
  );
}

function Watcher({ room }: { room: string }) {
  const { state } = useConnectionState();
  const members = usePresence(room);
  return (
    <>
      <p id="state">{state}</p>
      <p id="members">{members.map((m) => (m.info as { name: string }).name).sort().join(',')}</p>
    </>
  );
}

function Member({ room, name }: { room: string; name: string }) {
  usePresence(room, { name });
  return null;
}
