import type { Position } from '@lifeline/core';
import { checkChannelArg, checkSaveArgs, type CheckpointStore } from './types';

/**
 * A checkpoint store in memory: for tests, and for the no-durability case made explicit.
 * It accepts what the file and Redis stores accept (a test passing with it passes with them):
 * `save` rejects with `BAD_OPTION` for a position they would refuse.
 * @throws LifelineNodeError `BAD_OPTION` when an `initial` entry is not a position.
 */
export function memoryCheckpoint(initial: Record<string, Position> = {}): CheckpointStore & {
  readonly saved: ReadonlyMap<string, Position>;
} {
  const saved = new Map<string, Position>();
  for (const [channel, position] of Object.entries(initial)) saved.set(channel, checkSaveArgs('memoryCheckpoint', channel, position));
  return {
    saved,
    async load(channel) {
      checkChannelArg('memoryCheckpoint', 'load', channel);
      return saved.get(channel) ?? null;
    },
    async save(channel, position) {
      saved.set(channel, checkSaveArgs('memoryCheckpoint', channel, position));
    },
  };
}
