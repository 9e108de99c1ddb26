import { inspect } from 'node:util';
import type { Position } from '@lifeline/core';
import { LifelineNodeError } from '../errors';

/**
 * Durable storage of consumer positions, one per channel. `save` must resolve only
 * once the position is durable (it is what a restarted process resumes from).
 */
export interface CheckpointStore {
  /** The stored position of `channel`, or null if none was ever saved. */
  load(channel: string): Promise<Position | null>;
  /** Stores `position` for `channel`; resolves when durable. */
  save(channel: string, position: Position): Promise<void>;
  /**
   * Releases resources the store opened itself (never a client passed in). The Node client
   * never calls it: call it yourself after `close()`/`drain()`.
   */
  close?(): Promise<void>;
}

/** Parses a stored position (JSON text or an object), or throws a descriptive TypeError. */
export function parsePosition(raw: unknown, where: string): Position {
  const value = typeof raw === 'string' ? (JSON.parse(raw) as unknown) : raw;
  if (isPosition(value)) return { offset: value.offset, epoch: value.epoch };
  throw new TypeError(`${where}: not a position {offset, epoch}: ${JSON.stringify(value)}`);
}

/** What `parsePosition` accepts: an integer offset 0 … 2^53 − 1 and a string epoch. */
function isPosition(value: unknown): value is Position {
  return (
    typeof value === 'object' &&
    value !== null &&
    Number.isSafeInteger((value as Position).offset) &&
    (value as Position).offset >= 0 &&
    typeof (value as Position).epoch === 'string'
  );
}

/**
 * A store's `save` arguments, checked by the rule its `load` applies: a position `load` would
 * refuse as corrupt was written, and the file store then refused every channel of its file.
 * Returns the position to write (its two fields only).
 * @throws LifelineNodeError `BAD_OPTION` naming the store and the channel.
 */
export function checkSaveArgs(store: string, channel: unknown, position: unknown): Position {
  checkChannelArg(store, 'save', channel);
  if (!isPosition(position)) {
    throw new LifelineNodeError(
      'BAD_OPTION',
      `${store}.save(${JSON.stringify(channel)}): position must be { offset: an integer 0 … 2^53 − 1, epoch: a string } (got ${show(position)}); nothing written`,
      { channel: channel as string },
    );
  }
  return { offset: position.offset, epoch: position.epoch };
}

/** @throws LifelineNodeError `BAD_OPTION` when `channel` is not a string. */
export function checkChannelArg(store: string, method: 'load' | 'save', channel: unknown): void {
  if (typeof channel !== 'string') {
    throw new LifelineNodeError('BAD_OPTION', `${store}.${method}(): the channel must be a string (got ${show(channel)})`);
  }
}

/** `inspect`, not JSON: NaN, -0, undefined fields and strings-for-numbers show as they are. */
const show = (value: unknown): string => inspect(value, { depth: 2, breakLength: Infinity });
