export { createNodeClient, type NodeClient, type NodeClientOptions, type TransportError } from './createNodeClient';
export { NodeChannel } from './nodeChannel';
export { createNodeWebSocket, toWsOptions, TRANSPORT_DEFAULTS, type TransportOptions, type TlsOptions } from './nodeSocket';
export {
  messages,
  MessageIterator,
  MESSAGES_DEFAULTS,
  type AckableMessage,
  type GapPolicy,
  type MessagesOptions,
} from './messageIterator';
export { retryDelayMs, RETRY_DEFAULTS, type ConsumeOptions, type ErrorPolicy, type FailureInfo, type RetryPolicy } from './consume';
export { DRAIN_DEFAULTS, type DrainOptions, type DrainResult } from './drain';
export { FLOW_DEFAULTS, SocketFlow, type FlowControlOptions, type FlowStats } from './socketFlow';
export { WatermarkQueue, type WatermarkOptions } from './boundedQueue';
export { unrefClock, ProcessKeepAlive } from './processLiveness';
export { fileCheckpoint, type FileCheckpointOptions, type FileCheckpointLockOptions } from './checkpoint/fileCheckpoint';
export type { CheckpointLockHolder } from './checkpoint/lockHolder';
export { redisCheckpoint, type RedisHashClient } from './checkpoint/redisCheckpoint';
export { memoryCheckpoint } from './checkpoint/memoryCheckpoint';
export type { CheckpointStore } from './checkpoint/types';
export {
  LifelineNodeError,
  isLifelineNodeError,
  type LifelineNodeErrorCode,
  type LifelineNodeErrorDetails,
  type LifelineNodeErrorDetailsMap,
  type LifelineNodeErrorOf,
} from './errors';
