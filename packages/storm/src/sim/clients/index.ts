import { StormError } from '../../errors';
import { coreClientFactory } from './coreClient';
import { liteClientFactory } from './liteClient';
import type { SimClientFactory } from './types';

export type { SimClient, SimClientFactory, SimClientHooks, SimClientSpec } from './types';
export { coreClientFactory, findCreateClient } from './coreClient';
export { liteClientFactory } from './liteClient';

/** Resolves a client name (usable across worker threads) to its factory. */
export function clientFactory(name: string): SimClientFactory {
  if (name === 'core') return coreClientFactory;
  if (name === 'lite') return liteClientFactory;
  throw new StormError('BAD_OPTION', `unknown client "${name}" (core or lite)`);
}
