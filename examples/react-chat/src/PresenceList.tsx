import { useMemo } from 'react';
import { useConnectionState, usePresence } from '@lifeline/react';

export function PresenceList({ room, name }: { room: string; name: string }) {
  const info = useMemo(() => ({ name }), [name]);
  const members = usePresence(room, info);
  // While the connection is down the list is the last one the server gave (this tab
  // included, and whoever left meanwhile): say so, so a stale list does not pass for a live one.
  const live = useConnectionState().state === 'open';
  return (
    <aside className={live ? 'presence' : 'presence stale'} data-testid="presence-panel" data-live={live}>
      <h2>
        Here now ({members.length}){!live && <small> · as last seen</small>}
      </h2>
      <ul data-testid="presence">
        {members.map((m) => (
          <li key={m.clientId}>{String((m.info as { name?: unknown } | undefined)?.name ?? m.clientId)}</li>
        ))}
      </ul>
    </aside>
  );
}
