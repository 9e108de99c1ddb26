import type { Position } from '@lifeline/core';

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

/** Parses a stored position, or throws a descriptive error. */
export function parsePosition(raw: unknown, where: string): Position {
  const value = typeof raw === 'string' ? (JSON.parse(raw) as unknown) : raw;
  if (
    typeof value === 'object' &&
    value !== null &&
    Number.isSafeInteger((value as Position).offset) &&
    (value as Position).offset >= 0 &&
    typeof (value as Position).epoch === 'string'
  ) {
    return { offset: (value as Position).offset, epoch: (value as Position).epoch };
  }
  throw new TypeError(`${where}: not a position {offset, epoch}: ${JSON.stringify(value)}`);
}
