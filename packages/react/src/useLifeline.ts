import type { LifelineClient } from '@lifeline/core';
import { useLifelineContext } from './context';

/**
 * The client of the nearest `<LifelineProvider>`.
 * @throws Error when called outside a provider.
 */
export function useLifeline(): LifelineClient {
  return useLifelineContext().client;
}
