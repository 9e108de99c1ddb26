/**
 * `@lifeline/core/testing`: deterministic stand-ins for tests (and hosts that drive
 * time or lifecycle signals themselves). Kept out of the main entry so browser
 * bundles never carry them.
 */
export { createManualClock, type ManualClock } from './manualClock';
export { createManualLifecycle, type ManualLifecycle } from './manualLifecycle';
