import type { Position } from '@lifeline/core';
import { LifelineNodeError } from '../errors';
import { parsePosition } from './types';

/** The checkpoint file: `{"version":1,"channels":{"orders":{"offset":41,"epoch":"e_…"}}}`. */
export interface FileContent {
  version: 1;
  channels: Record<string, Position>;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Reads a checkpoint file's text. Anything but exactly that shape, version 1, is refused
 * with `CHECKPOINT_CORRUPT`: read as "no checkpoint", the next save overwrote it and the
 * positions in it (a file of a newer version, an edit gone wrong) were lost for good.
 * Positions live in a Map: channel names are arbitrary strings, `__proto__` included.
 */
export function parseCheckpointFile(text: string, path: string): Map<string, Position> {
  const corrupt = (why: string, cause?: unknown) =>
    new LifelineNodeError('CHECKPOINT_CORRUPT', `checkpoint file ${path} ${why}; it is left as it is (not overwritten)`, cause === undefined ? {} : { cause });
  let parsed: unknown;
  try {
    // JSON.parse makes every key an own property, `__proto__` included.
    parsed = JSON.parse(text);
  } catch (error) {
    throw corrupt('is not valid JSON', error);
  }
  if (!isRecord(parsed)) throw corrupt('is not a {"version":1,"channels":{…}} object');
  if (parsed.version !== 1) {
    throw corrupt(`has version ${JSON.stringify(parsed.version) ?? 'undefined'}, this version of @lifeline/node reads version 1`);
  }
  const extra = Object.keys(parsed).filter((key) => key !== 'version' && key !== 'channels');
  if (extra.length > 0) throw corrupt(`has unknown keys ${JSON.stringify(extra)}`);
  if (!isRecord(parsed.channels)) throw corrupt('has no "channels" object');
  const channels = new Map<string, Position>();
  for (const [name, pos] of Object.entries(parsed.channels)) {
    try {
      channels.set(name, parsePosition(pos, `channel ${JSON.stringify(name)}`));
    } catch (error) {
      throw corrupt(`has an invalid position: ${(error as Error).message}`, error);
    }
  }
  return channels;
}

/** The file's text for `channels`. */
export function formatCheckpointFile(channels: Map<string, Position>): string {
  // A null-prototype object: assigning `__proto__` creates an own key (which
  // JSON.stringify writes) instead of calling Object.prototype's setter.
  const record: Record<string, Position> = Object.create(null);
  for (const [name, pos] of channels) record[name] = { offset: pos.offset, epoch: pos.epoch };
  return JSON.stringify({ version: 1, channels: record } satisfies FileContent);
}
