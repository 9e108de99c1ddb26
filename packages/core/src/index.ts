// First, as the former `export type * from './protocol'` was: esbuild orders the bundle's
// modules by first import, and the minified names (so the size) follow that order; the
// type list below alone moved it by 2 B.
export {} from './protocol';
export * from './types';
export * from './errors';
export { createClient } from './client';
/** The snapshot of a client that never connected (what a server render shows). */
export { INITIAL_SNAPSHOT } from './stateMachine';
export { createBackoff, DEFAULT_RECONNECT, type BackoffFn } from './backoff';
export { systemClock } from './clock';
export { browserLifecycle } from './browserLifecycle';
export { DEFAULT_OUTBOX } from './outbox';
export { DEFAULT_HEARTBEAT } from './options';
export { silentLogger } from './logger';

// Runtime protocol values (CloseCode, closeAction, PROTOCOL_VERSION…) live in
// `@lifeline/core/protocol` so browser bundles of the client do not carry them. Types are
// named one by one: the declaration bundler turned `export type *` into a value export,
// so `import { CloseCode } from '@lifeline/core'` type-checked and failed at run time
// (test/distValueExports.test.ts).
export type {
  AckFrame,
  AuthedFrame,
  AuthFrame,
  ClientFrame,
  DrainFrame,
  ErrorCodeName,
  ErrorFrame,
  HelloFrame,
  MessageFrame,
  PingFrame,
  PongFrame,
  Position,
  PresenceAckFrame,
  PresenceEnterFrame,
  PresenceEventFrame,
  PresenceLeaveFrame,
  PresenceMember,
  PublishFrame,
  ServerFrame,
  ServerLimits,
  SubscribedFrame,
  SubscribeFrame,
  UnsubscribedFrame,
  UnsubscribeFrame,
  WelcomeFrame,
  CloseAction,
  CloseCodeValue,
} from './protocol';
