import type { Position } from '@lifeline/core';
import { LifelineNodeError, showValue } from '../errors';
import { checkChannelArg, checkSaveArgs, parsePosition, type CheckpointStore } from './types';

/** The two commands the store needs; an ioredis `Redis` or `Cluster` fits. */
export interface RedisHashClient {
  hget(key: string, field: string): Promise<string | null>;
  hset(key: string, field: string, value: string): Promise<unknown>;
}

/**
 * A checkpoint store in a Redis hash: field = channel name, value = JSON position.
 * The client is passed in and stays yours (the store never quits it). With Redis
 * persistence off, a Redis restart loses checkpoints: use AOF (`appendfsync
 * everysec` or `always`) for the durability you need. `load`/`save` reject with
 * `CHECKPOINT_FAILED` when Redis fails, `load` with `CHECKPOINT_CORRUPT` for a value that
 * is not a position. Saves are applied in call order. `save` rejects with `BAD_OPTION`, writing
 * nothing, for a position `load` would refuse; `load` and `save` for a channel that is not a string.
 * @throws LifelineNodeError `BAD_OPTION` when `redis` has no `hget`/`hset` or `key` is not a non-empty string.
 */
export function redisCheckpoint(redis: RedisHashClient, key: string): CheckpointStore {
  const client = redis as Partial<RedisHashClient> | null | undefined;
  if (typeof client?.hget !== 'function' || typeof client.hset !== 'function') {
    throw new LifelineNodeError('BAD_OPTION', `redisCheckpoint() needs a Redis client with hget() and hset() (an ioredis Redis or Cluster; got ${showValue(redis)})`);
  }
  // An unset variable wrote every channel to the hash "" (or "undefined"), shared by anything else that did.
  if (typeof key !== 'string' || key.length === 0) {
    throw new LifelineNodeError('BAD_OPTION', `redisCheckpoint() key must be a non-empty string (got ${showValue(key)})`);
  }
  let chain: Promise<unknown> = Promise.resolve();
  return {
    async load(channel) {
      checkChannelArg('redisCheckpoint', 'load', channel);
      let raw: string | null;
      try {
        raw = await redis.hget(key, channel);
      } catch (error) {
        throw new LifelineNodeError('CHECKPOINT_FAILED', `cannot read checkpoint ${key}[${channel}]`, { cause: error, channel });
      }
      if (raw === null) return null;
      try {
        return parsePosition(raw, `redis ${key}[${channel}]`);
      } catch (error) {
        throw new LifelineNodeError('CHECKPOINT_CORRUPT', `checkpoint ${key}[${channel}] is not valid`, { cause: error, channel });
      }
    },
    save(channel, position) {
      let checked: Position;
      try {
        checked = checkSaveArgs('redisCheckpoint', channel, position);
      } catch (error) {
        return Promise.reject(error);
      }
      const run = chain.then(async () => {
        try {
          await redis.hset(key, channel, JSON.stringify(checked));
        } catch (error) {
          throw new LifelineNodeError('CHECKPOINT_FAILED', `cannot write checkpoint ${key}[${channel}]`, { cause: error, channel });
        }
      });
      chain = run.catch(() => {});
      return run;
    },
  };
}
