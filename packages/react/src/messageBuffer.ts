import type { Message } from '@lifeline/core';

/** A store of the last messages of a channel, flushed to React in batches. */
export interface MessageBuffer<T> {
  get(): readonly Message<T>[];
  subscribe(onChange: () => void): () => void;
  push(msg: Message<T>, limit: number, batchMs: number): void;
}

export function createMessageBuffer<T>(): MessageBuffer<T> {
  let messages: readonly Message<T>[] = [];
  let pending: Message<T>[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  // One buffer per hook instance, so one listener.
  let listener: (() => void) | undefined;
  return {
    get: () => messages,
    subscribe(onChange) {
      listener = onChange;
      return () => {
        if (listener == onChange) listener = undefined;
      };
    },
    push(msg, limit, batchMs) {
      pending.push(msg);
      // One render per batch, not per message: a replay of hundreds is one update.
      timer ??= setTimeout(() => {
        timer = undefined;
        // A limit of 0 keeps nothing: the same empty array (React then skips the render; a
        // new one each time rendered once per batch).
        messages = limit > 0 ? [...messages, ...pending].slice(-limit) : messages.length ? [] : messages;
        pending = [];
        listener?.();
      }, batchMs);
    },
  };
}
