import type { Position } from '@lifeline/core';
import type { CheckpointStore } from './types';

/** A checkpoint store in memory: for tests, and for the no-durability case made explicit. */
export function memoryCheckpoint(initial: Record<string, Position> = {}): CheckpointStore & {
  readonly saved: ReadonlyMap<string, Position>;
} {
  const saved = new Map(Object.entries(initial));
  return {
    saved,
    async load(channel) {
      return saved.get(channel) ?? null;
    },
    async save(channel, position) {
      saved.set(channel, { ...position });
    },
  };
}
