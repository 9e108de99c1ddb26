import { useMemo } from 'react';
import { usePresence } from '@lifeline/react';

export function PresenceList({ room, name }: { room: string; name: string }) {
  const info = useMemo(() => ({ name }), [name]);
  const members = usePresence(room, info);
  return (
    <aside className="presence">
      <h2>Here now ({members.length})</h2>
      <ul data-testid="presence">
        {members.map((m) => (
          <li key={m.clientId}>{String((m.info as { name?: unknown } | undefined)?.name ?? m.clientId)}</li>
        ))}
      </ul>
    </aside>
  );
}
