// Browser entry of the hook lab: `?mode=hydrate|swap|presence&server=ws://…&room=…&name=…`.
import { createRoot, hydrateRoot } from 'react-dom/client';
import { createClient, type LifelineClient } from '@lifeline/core';
import { HydratedApp, PresenceApp, Room, SwappingApp } from './app';

const q = new URLSearchParams(location.search);
const server = q.get('server')!;
const room = q.get('room')!;
const name = q.get('name') ?? 'ada';
const root = document.getElementById('root')!;
const lab: Record<string, unknown> = {};
(window as unknown as { lab: typeof lab }).lab = lab;

const mode = q.get('mode');
if (mode === 'hydrate') {
  hydrateRoot(root, <HydratedApp url={`${server}/v1`} room={room} name={name} expose={(set) => (lab.setRoom = set)} />);
} else if (mode === 'swap') {
  const clients: Record<string, LifelineClient> = {
    a: createClient({ url: `${server}/v1`, clientId: 'lab-client-a' }),
    b: createClient({ url: `${server}/v1`, clientId: 'lab-client-b' }),
  };
  lab.clientState = (k: string) => clients[k]!.state;
  createRoot(root).render(
    <SwappingApp initial={clients.a!} expose={(set) => (lab.useClient = (k: string) => set(clients[k]!))}>
      <Room room={room} name={name} />
    </SwappingApp>,
  );
} else if (mode === 'presence') {
  // A slow fixed retry: the test acts while the client is offline.
  const client = createClient({ url: `${server}/v1`, clientId: 'lab-presence', reconnect: { initialDelayMs: 1500, maxDelayMs: 1500, jitter: 'none' } });
  createRoot(root).render(<PresenceApp client={client} room={room} expose={(set) => (lab.setMembers = set)} />);
}
