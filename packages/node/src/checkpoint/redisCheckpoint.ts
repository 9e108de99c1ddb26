import { LifelineNodeError } from '../errors';
import { parsePosition, type CheckpointStore } from './types';

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
 * is not a position. Saves are applied in call order.
 */
export function redisCheckpoint(redis: RedisHashClient, key: string): CheckpointStore {
  let chain: Promise<unknown> = Promise.resolve();
  return {
    async load(channel) {
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
      const run = chain.then(async () => {
        try {
          await redis.hset(key, channel, JSON.stringify({ offset: position.offset, epoch: position.epoch }));
        } catch (error) {
          throw new LifelineNodeError('CHECKPOINT_FAILED', `cannot write checkpoint ${key}[${channel}]`, { cause: error, channel });
        }
      });
      chain = run.catch(() => {});
      return run;
    },
  };
}
