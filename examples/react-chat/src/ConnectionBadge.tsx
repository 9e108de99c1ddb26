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
  // The interval only re-renders; the clock is read at render. A `now` kept in state is
  // as old as its last tick when a new retryAt first renders: after a drop the badge said
  // "retry in 3.8 s" (the delay plus the time since the last outage) for a 0.25 s retry.
  const [, tick] = useState(0);
  useEffect(() => {
    if (retryAt === null) return;
    const timer = setInterval(() => tick((n) => n + 1), 200);
    return () => clearInterval(timer);
  }, [retryAt]);
  if (retryAt === null) return null;
  return `${(Math.max(0, retryAt - Date.now()) / 1000).toFixed(1)} s`;
}
