export { createServer, type LifelineServer } from './createServer';
export { reconnectWindowMs } from './drainClose';
export { memoryBroker, isResettable, type MemoryBroker, type MemoryBrokerOptions, type ResettableBroker } from './broker/memoryBroker';
export { signToken, verifyToken, matchesPattern, type SignTokenClaims, type TokenClaims, type VerifyResult } from './auth';
export type { ServerOptions, Logger } from './options';
export type { ServerStats } from './stats';
export type { FaultHooks } from './faults';
export type { Clock } from './clock';
export type * from './broker/types';
// A custom Broker refuses an enter under a clientId another user holds with it (FORBIDDEN).
export { PresenceTakenError } from './broker/types';
export {
  redisBroker,
  REDIS_BROKER_DEFAULTS,
  BrokerUnavailableError,
  isBrokerUnavailable,
  maybeStored,
  RedisConfigError,
  type RedisBroker,
  type RedisBrokerOptions,
} from './broker/redisBroker';
