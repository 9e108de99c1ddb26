import { R } from './reactImports';
import type { LifelineClient } from '@lifeline/core';

/** What the Provider hands to the hooks. */
export interface LifelineContextValue {
  /** The Provider's client (given, or created from `url`). */
  client: LifelineClient;
  /** The Provider's `releaseDelayMs`, ms. */
  releaseDelayMs: number;
}

export const LifelineContext = R.createContext<LifelineContextValue | null>(null);

/** Internal: the Provider's value, or a clear error when there is none. */
export function useLifelineContext(): LifelineContextValue {
  const value = R.useContext(LifelineContext);
  if (!value) {
    throw new Error('Lifeline hooks must be used inside <LifelineProvider>');
  }
  return value;
}
