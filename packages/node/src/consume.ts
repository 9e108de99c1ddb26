import type { Clock } from '@lifeline/core';
import { checkOptionsObject, LifelineNodeError, showValue } from './errors';
import { MAX_TIMER_MS } from './nodeOptions';
import { checkKnownKeys, CONSUME_OPTION_KEYS, RETRY_POLICY_KEYS } from './optionKeys';
import type { AckableMessage, MessageIterator, MessagesOptions } from './messageIterator';

/** Retry the failing message with capped exponential backoff, then stop or dead-letter it. */
export interface RetryPolicy {
  policy: 'retry';
  /** Attempts in total, the first included: an integer >= 1. @default 5 */
  maxAttempts?: number | undefined;
  /** Delay before the first retry, 0 … 2^31 - 1 ms. @default 100 */
  initialDelayMs?: number | undefined;
  /** Cap of the delay, 0 … 2^31 - 1 ms. @default 10_000 */
  maxDelayMs?: number | undefined;
  /** Growth of the delay per retry, a finite number >= 1. @default 2 */
  factor?: number | undefined;
  /** After the last attempt failed. @default 'stop' */
  onExhausted?: 'stop' | 'dead-letter' | undefined;
}

/**
 * What happens when the handler throws. Never a silent skip: a message is either
 * processed, handed to `deadLetter` (then acknowledged), or the consumer stops with
 * the message unacknowledged (redelivered on the next run). `'dead-letter'` and `'stop'`
 * act on the first failure, without retrying. An unknown policy: `BAD_OPTION`.
 */
export type ErrorPolicy = RetryPolicy | { policy: 'dead-letter' } | { policy: 'stop' };

/** Defaults of {@link RetryPolicy}. */
export const RETRY_DEFAULTS = {
  maxAttempts: 5,
  initialDelayMs: 100,
  maxDelayMs: 10_000,
  factor: 2,
  onExhausted: 'stop',
} as const;

/** Passed to the dead-letter callback and to `onRetry`. */
export interface FailureInfo {
  /** Handler calls made on this message so far, the failed one included. */
  attempts: number;
  /** What the handler threw last. */
  error: unknown;
}

/** Options of `consume()`. */
export interface ConsumeOptions<T> extends Omit<MessagesOptions, 'autoAck'> {
  /** What to do when the handler throws or rejects. @default { policy: 'retry', maxAttempts: 5, initialDelayMs: 100, maxDelayMs: 10_000, factor: 2, onExhausted: 'stop' } */
  onError?: ErrorPolicy | undefined;
  /**
   * Required by the dead-letter policies (else `BAD_OPTION`); the message is acknowledged
   * once it resolves. A throw stops the consumer with `DEAD_LETTER_FAILED`.
   * @default undefined (none: fine for `'stop'` and the default retry policy, which stops when exhausted)
   */
  deadLetter?: ((msg: AckableMessage<T>, info: FailureInfo) => unknown) | undefined;
  /** Called before each retry's wait (`delayMs`: that wait). A throw stops the consumer with `CONSUMER_STOPPED`. @default undefined */
  onRetry?: ((msg: AckableMessage<T>, info: FailureInfo & { delayMs: number }) => void) | undefined;
}

/** Delay before retry number `retry` (1-based): capped exponential, no jitter (one consumer, one message). */
export function retryDelayMs(retry: number, policy: RetryPolicy): number {
  const initial = policy.initialDelayMs ?? RETRY_DEFAULTS.initialDelayMs;
  const factor = policy.factor ?? RETRY_DEFAULTS.factor;
  const max = policy.maxDelayMs ?? RETRY_DEFAULTS.maxDelayMs;
  return Math.min(max, initial * factor ** (retry - 1));
}

/**
 * Checks `consume()`'s handler and options; throws `BAD_OPTION` (an unknown key too). A mistyped policy must
 * not silently mean another one (an unknown `onExhausted` meant 'stop', an unknown
 * `policy` stopped at the first failure), and a NaN or out-of-range delay retried after 1 ms.
 */
export function checkConsumeOptions<T>(handler: unknown, options: ConsumeOptions<T>): ErrorPolicy {
  if (typeof handler !== 'function') throw bad(`the handler must be a function (got ${typeof handler})`);
  checkOptionsObject(options, 'consume()');
  // `autoAck` is a messages() option: consume() acknowledges after the handler, always.
  checkKnownKeys(options, CONSUME_OPTION_KEYS, 'consume()');
  const policy = options.onError ?? { policy: 'retry' };
  if (typeof policy !== 'object' || policy === null || !['retry', 'dead-letter', 'stop'].includes(policy.policy)) {
    throw bad(`onError.policy must be 'retry', 'dead-letter' or 'stop' (got ${show(typeof policy === 'object' && policy !== null ? policy.policy : policy)})`);
  }
  // A mistyped key (`maxAttempt`, `onExhaust: 'dead-letter'`) silently kept the default:
  // 5 attempts, then stop. 'dead-letter' and 'stop' take no other key.
  checkKnownKeys(policy, policy.policy === 'retry' ? RETRY_POLICY_KEYS : ['policy'], `onError (policy '${policy.policy}')`);
  if (options.signal !== undefined && typeof (options.signal as { addEventListener?: unknown } | null)?.addEventListener !== 'function') {
    throw bad('signal must be an AbortSignal');
  }
  for (const name of ['deadLetter', 'onRetry'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') throw bad(`${name} must be a function`);
  }
  if (policy.policy === 'retry') {
    const { maxAttempts, initialDelayMs, maxDelayMs, factor, onExhausted } = policy;
    if (onExhausted !== undefined && onExhausted !== 'stop' && onExhausted !== 'dead-letter') {
      throw bad(`onError.onExhausted must be 'stop' or 'dead-letter' (got ${show(onExhausted)})`);
    }
    if (maxAttempts !== undefined && !(Number.isInteger(maxAttempts) && maxAttempts >= 1)) {
      throw bad(`maxAttempts must be an integer >= 1 (got ${show(maxAttempts)})`);
    }
    for (const [name, value] of [['initialDelayMs', initialDelayMs], ['maxDelayMs', maxDelayMs]] as const) {
      // Node's timers fire after 1 ms for a delay that is not a number or above 2^31 - 1.
      if (value !== undefined && !(typeof value === 'number' && value >= 0 && value <= MAX_TIMER_MS)) {
        throw bad(`${name} must be a number of ms between 0 and 2^31 - 1 (got ${show(value)})`);
      }
    }
    if (factor !== undefined && !(typeof factor === 'number' && factor >= 1 && Number.isFinite(factor))) {
      throw bad(`factor must be a finite number >= 1 (got ${show(factor)})`);
    }
  }
  const wantsDeadLetter =
    policy.policy === 'dead-letter' || (policy.policy === 'retry' && policy.onExhausted === 'dead-letter');
  if (wantsDeadLetter && typeof options.deadLetter !== 'function') {
    throw bad('the dead-letter policy needs a deadLetter(msg, info) callback');
  }
  return policy;
}

const bad = (message: string) => new LifelineNodeError('BAD_OPTION', message);
const show = showValue;

/**
 * Runs `handler` for every message of `iterator`, in order, acknowledging each one
 * after the handler resolved. Resolves when the iteration ends (abort or drain), also
 * when it is ended while a handler runs (`close()`, a drain past its deadline: that
 * handler is not waited for, and its message stays unacknowledged); rejects with
 * `CONSUMER_STOPPED` when the policy says stop.
 */
export async function consumeWith<T>(
  iterator: MessageIterator<T>,
  handler: (msg: AckableMessage<T>) => unknown,
  options: ConsumeOptions<T>,
  clock: Clock,
): Promise<void> {
  const policy = checkConsumeOptions(handler, options);
  const signal = options.signal;
  // Ends only when the iteration is ended from outside (terminate(): close(), the drain's
  // deadline); a stop or an abort waits for the consumer's next next(), after the handler.
  const ended = iterator.ended().then(
    () => ENDED,
    () => ENDED,
  );
  const abandoned = () => iterator.done;
  try {
    for await (const msg of iterator) {
      const handled = handleOne(msg, handler, policy, options, clock, signal, abandoned);
      // A handler that never settles held `await consume()` for ever after the drain gave up on it.
      if ((await Promise.race([handled, ended])) === ENDED) {
        handled.catch(() => {});
        return;
      }
      msg.ack();
    }
  } catch (error) {
    if (error instanceof StopSignal) return;
    throw error;
  }
}

const ENDED = Symbol('ended');

class StopSignal {}

async function handleOne<T>(
  msg: AckableMessage<T>,
  handler: (msg: AckableMessage<T>) => unknown,
  policy: ErrorPolicy,
  options: ConsumeOptions<T>,
  clock: Clock,
  signal: AbortSignal | undefined,
  abandoned: () => boolean,
): Promise<void> {
  const maxAttempts = policy.policy === 'retry' ? (policy.maxAttempts ?? RETRY_DEFAULTS.maxAttempts) : 1;
  for (let attempt = 1; ; attempt += 1) {
    try {
      await handler(msg);
      return;
    } catch (error) {
      // Its iteration was ended while it ran (consume() has resolved): no retry, no dead letter.
      if (abandoned()) throw new StopSignal();
      const info = { attempts: attempt, error };
      if (attempt < maxAttempts && policy.policy === 'retry') {
        const delayMs = retryDelayMs(attempt, policy);
        try {
          options.onRetry?.(msg, { ...info, delayMs });
        } catch (hookError) {
          // A typed stop, like a failing deadLetter: the raw throw ended consume() untyped.
          throw new LifelineNodeError('CONSUMER_STOPPED', `onRetry callback failed on ${msg.channel}@${msg.offset}`, {
            cause: hookError,
            channel: msg.channel,
            details: { offset: msg.offset, epoch: msg.epoch, attempts: attempt, handlerError: error },
          });
        }
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
