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
  const listeners = new Set<() => void>();
  return {
    get: () => messages,
    subscribe(onChange) {
      listeners.add(onChange);
      return () => void listeners.delete(onChange);
    },
    push(msg, limit, batchMs) {
      pending.push(msg);
      // One render per batch, not per message: a replay of hundreds is one update.
      timer ??= setTimeout(() => {
        timer = undefined;
        const all = [...messages, ...pending];
        messages = all.slice(Math.max(0, all.length - limit));
        pending = [];
        listeners.forEach((l) => l());
      }, batchMs);
    },
  };
}
