import { useState } from 'react';

/** Asks the demo server to cut every WebSocket connection (the reference server's fault injection). */
export function DropButton() {
  const [error, setError] = useState<string | null>(null);
  const drop = async () => {
    setError(null);
    try {
      const res = await fetch('/api/drop', { method: 'POST' });
      if (!res.ok) setError(`drop failed: ${res.status} ${await res.text()}`);
    } catch (e) {
      setError(`drop failed: ${(e as Error).message}`);
    }
  };
  return (
    <>
      <button type="button" data-testid="drop" onClick={drop}>
        Drop connection
      </button>
      {error && <span className="error">{error}</span>}
    </>
  );
}
