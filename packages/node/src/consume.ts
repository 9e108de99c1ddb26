import type { Clock } from '@lifeline/core';
import { LifelineNodeError } from './errors';
import type { AckableMessage, MessageIterator, MessagesOptions } from './messageIterator';

/** Retry the failing message with capped exponential backoff, then stop or dead-letter it. */
export interface RetryPolicy {
  policy: 'retry';
  /** Attempts in total, the first included. @default 5 */
  maxAttempts?: number;
  /** @default 100 */
  initialDelayMs?: number;
  /** @default 10_000 */
  maxDelayMs?: number;
  /** @default 2 */
  factor?: number;
  /** After the last attempt failed. @default 'stop' */
  onExhausted?: 'stop' | 'dead-letter';
}

/**
 * What happens when the handler throws. Never a silent skip: a message is either
 * processed, handed to `deadLetter` (then acknowledged), or the consumer stops with
 * the message unacknowledged (redelivered on the next run).
 */
export type ErrorPolicy = RetryPolicy | { policy: 'dead-letter' } | { policy: 'stop' };

export const RETRY_DEFAULTS = {
  maxAttempts: 5,
  initialDelayMs: 100,
  maxDelayMs: 10_000,
  factor: 2,
  onExhausted: 'stop',
} as const;

/** Passed to the dead-letter callback and to `onRetry`. */
export interface FailureInfo {
  attempts: number;
  error: unknown;
}

/** Options of `consume()`. */
export interface ConsumeOptions<T> extends Omit<MessagesOptions, 'autoAck'> {
  /** @default { policy: 'retry', maxAttempts: 5, initialDelayMs: 100, maxDelayMs: 10_000, factor: 2, onExhausted: 'stop' } */
  onError?: ErrorPolicy;
  /** Required by the dead-letter policies; the message is acknowledged once it resolves. */
  deadLetter?: (msg: AckableMessage<T>, info: FailureInfo) => void | Promise<void>;
  /** Called before each retry's wait. @default undefined */
  onRetry?: (msg: AckableMessage<T>, info: FailureInfo & { delayMs: number }) => void;
}

/** Delay before retry number `retry` (1-based): capped exponential, no jitter (one consumer, one message). */
export function retryDelayMs(retry: number, policy: RetryPolicy): number {
  const initial = policy.initialDelayMs ?? RETRY_DEFAULTS.initialDelayMs;
  const factor = policy.factor ?? RETRY_DEFAULTS.factor;
  const max = policy.maxDelayMs ?? RETRY_DEFAULTS.maxDelayMs;
  return Math.min(max, initial * factor ** (retry - 1));
}

function validate<T>(options: ConsumeOptions<T>): ErrorPolicy {
  const policy = options.onError ?? { policy: 'retry' };
  const wantsDeadLetter =
    policy.policy === 'dead-letter' || (policy.policy === 'retry' && policy.onExhausted === 'dead-letter');
  if (wantsDeadLetter && typeof options.deadLetter !== 'function') {
    throw new LifelineNodeError('BAD_OPTION', 'the dead-letter policy needs a deadLetter(msg, info) callback');
  }
  if (policy.policy === 'retry' && !((policy.maxAttempts ?? 1) >= 1)) {
    throw new LifelineNodeError('BAD_OPTION', `maxAttempts must be >= 1 (got ${policy.maxAttempts})`);
  }
  return policy;
}

/**
 * Runs `handler` for every message of `iterator`, in order, acknowledging each one
 * after the handler resolved. Resolves when the iteration ends (abort or drain);
 * rejects with `CONSUMER_STOPPED` when the policy says stop.
 */
export async function consumeWith<T>(
  iterator: MessageIterator<T>,
  handler: (msg: AckableMessage<T>) => void | Promise<void>,
  options: ConsumeOptions<T>,
  clock: Clock,
): Promise<void> {
  const policy = validate(options);
  const signal = options.signal;
  try {
    for await (const msg of iterator) {
      await handleOne(msg, handler, policy, options, clock, signal);
      msg.ack();
    }
  } catch (error) {
    if (error instanceof StopSignal) return;
    throw error;
  }
}

class StopSignal {}

async function handleOne<T>(
  msg: AckableMessage<T>,
  handler: (msg: AckableMessage<T>) => void | Promise<void>,
  policy: ErrorPolicy,
  options: ConsumeOptions<T>,
  clock: Clock,
  signal: AbortSignal | undefined,
): Promise<void> {
  const maxAttempts = policy.policy === 'retry' ? (policy.maxAttempts ?? RETRY_DEFAULTS.maxAttempts) : 1;
  for (let attempt = 1; ; attempt += 1) {
    try {
      await handler(msg);
      return;
    } catch (error) {
      const info = { attempts: attempt, error };
      if (attempt < maxAttempts && policy.policy === 'retry') {
        const delayMs = retryDelayMs(attempt, policy);
        options.onRetry?.(msg, { ...info, delayMs });
        // An abort during the wait ends consumption with this message unacknowledged.
        if (!(await wait(clock, delayMs, signal))) throw new StopSignal();
        continue;
      }
      const final = policy.policy === 'retry' ? (policy.onExhausted ?? RETRY_DEFAULTS.onExhausted) : policy.policy;
      if (final === 'dead-letter') {
        try {
          await options.deadLetter!(msg, info);
          return;
        } catch (dlqError) {
          throw new LifelineNodeError('DEAD_LETTER_FAILED', `dead-letter callback failed for ${msg.channel}@${msg.offset}`, {
            cause: dlqError,
            channel: msg.channel,
            details: { offset: msg.offset, epoch: msg.epoch, attempts: attempt, handlerError: error },
          });
        }
      }
      throw new LifelineNodeError('CONSUMER_STOPPED', `handler failed on ${msg.channel}@${msg.offset} after ${attempt} attempt(s)`, {
        cause: error,
        channel: msg.channel,
        details: { offset: msg.offset, epoch: msg.epoch, attempts: attempt },
      });
    }
  }
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
function wait(clock: Clock, ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clock.clearTimeout(handle);
      resolve(false);
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
