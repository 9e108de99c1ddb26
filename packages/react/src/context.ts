import { createContext, useContext } from './reactImports';
import type { LifelineClient } from '@lifeline/core';

/** What the Provider hands to the hooks. */
export interface LifelineContextValue {
  /** The Provider's client (given, or created from `url`). */
  client: LifelineClient;
  /** The Provider's `releaseDelayMs`, ms. */
  releaseDelayMs: number;
}

/**
 * How long an unused subscription, presence or owned client is kept before it is
 * released. Long enough to bridge StrictMode's unmount/remount and quick
 * route changes, short enough that a real unmount frees the server promptly.
 */
export const DEFAULT_RELEASE_DELAY_MS = 100;

export const LifelineContext = createContext<LifelineContextValue | null>(null);

/** Internal: the Provider's value, or a clear error when there is none. */
export function useLifelineContext(): LifelineContextValue {
  const value = useContext(LifelineContext);
  if (!value) {
    throw new Error('Lifeline hooks must be used inside <LifelineProvider>');
  }
  return value;
}
