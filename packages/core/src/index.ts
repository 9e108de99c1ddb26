// Runtime protocol values (CloseCode, closeAction, PROTOCOL_VERSION…) live in
// `@lifeline/core/protocol` so browser bundles of the client do not carry them.
export type * from './protocol';
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
