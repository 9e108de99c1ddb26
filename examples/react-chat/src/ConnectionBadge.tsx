import { useEffect, useRef, useState } from 'react';
import type { ConnectionSnapshot } from '@lifeline/core';
import { useConnectionState } from '@lifeline/react';

type Indicator = 'connecting' | 'open' | 'reconnecting' | 'offline' | 'closing';

/** What a person wants to know: connected, trying again, or stopped. */
function indicatorOf(s: ConnectionSnapshot, wasOpen: boolean): Indicator {
  if (s.state === 'open') return 'open';
  if (s.state === 'closing') return 'closing';
  if (s.state === 'closed' && s.retryInMs === null) return 'offline';
  return wasOpen || s.attempt > 0 ? 'reconnecting' : 'connecting';
}

export function ConnectionBadge() {
  const snapshot = useConnectionState();
  const wasOpen = useRef(false);
  if (snapshot.state === 'open') wasOpen.current = true;
  const indicator = indicatorOf(snapshot, wasOpen.current);
  const retryText = useRetryCountdown(snapshot.retryAt);
  return (
    <span className={`badge ${indicator}`} data-testid="connection" data-state={indicator}>
      {indicator}
      {snapshot.attempt > 0 && ` · attempt ${snapshot.attempt}`}
      {retryText && ` · retry in ${retryText}`}
      {snapshot.lastError && indicator !== 'open' && ` · ${snapshot.lastError.message}`}
    </span>
  );
}

function useRetryCountdown(retryAt: number | null): string | null {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (retryAt === null) return;
    const timer = setInterval(() => setNow(Date.now()), 200);
    return () => clearInterval(timer);
  }, [retryAt]);
  if (retryAt === null) return null;
  return `${(Math.max(0, retryAt - now) / 1000).toFixed(1)} s`;
}
