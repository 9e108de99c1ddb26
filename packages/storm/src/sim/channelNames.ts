import { randomBytes } from 'node:crypto';

/**
 * The channels of one run: `storm:<seed>:<run>:<i>`. The run part is random, so runs
 * sharing a server (two at once against one `--target`) never read each other's
 * messages: the other run's traffic looked like duplicates and reorders of this one's.
 */
export function runChannels(seed: number, count: number, runId: string = randomBytes(4).toString('hex')): string[] {
  return Array.from({ length: count }, (_, i) => `storm:${seed}:${runId}:${i}`);
}
