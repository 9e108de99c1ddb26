import type { Position } from '@lifeline/core';
import { LifelineNodeError } from '../errors';
import { checkChannelArg, checkSaveArgs, type CheckpointStore } from './types';

/**
 * The entries of `initial`: a plain object (channel → position) or a Map (another store's
 * `saved`). Anything else is refused: `Object.entries` read a Map or a number as no entries
 * at all (every channel then started at the head, skipping what was published, silently), an
 * array as channel "0", and `null` crashed with a raw TypeError.
 */
function initialEntries(initial: unknown): Iterable<[unknown, unknown]> {
  if (initial instanceof Map) return initial;
  const proto = typeof initial === 'object' && initial !== null ? Object.getPrototypeOf(initial) : undefined;
  if (proto === Object.prototype || proto === null) return Object.entries(initial as object);
  const got = initial === null ? 'null' : Array.isArray(initial) ? 'an array' : typeof initial === 'object' ? (initial.constructor?.name ?? 'an object') : typeof initial;
  throw new LifelineNodeError('BAD_OPTION', `memoryCheckpoint() initial must be a plain object or a Map of channel → position (got ${got})`);
}

/**
 * A checkpoint store in memory: for tests, and for the no-durability case made explicit.
 * It accepts what the file and Redis stores accept (a test passing with it passes with them):
 * `save` rejects with `BAD_OPTION` for a position they would refuse.
 * @param initial Positions to start with: a plain object or a Map of channel → position
 * (e.g. another memory store's `saved`, to simulate a restart). @default {}
 * @throws LifelineNodeError `BAD_OPTION` when `initial` is neither a plain object nor a Map, or
 * one of its entries is not a position.
 */
export function memoryCheckpoint(initial: Record<string, Position> | ReadonlyMap<string, Position> = {}): CheckpointStore & {
  readonly saved: ReadonlyMap<string, Position>;
} {
  const saved = new Map<string, Position>();
  for (const [channel, position] of initialEntries(initial)) saved.set(channel as string, checkSaveArgs('memoryCheckpoint', channel, position));
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
