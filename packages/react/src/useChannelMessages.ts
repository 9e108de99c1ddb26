import { R } from './reactImports';
import type { ChannelOptions, Message } from '@lifeline/core';
import { channelKey } from './channelLeases';
import { createMessageBuffer } from './messageBuffer';
import { useChannel, type UseChannelResult } from './useChannel';
import { useLifeline } from './useLifeline';

export interface UseChannelMessagesOptions extends ChannelOptions {
  /** How many of the latest messages to keep, a count (0 or less keeps none). @default 100 */
  limit?: number | undefined;
  /** Messages arriving within this many ms of the first unrendered one are rendered in one update. @default 16 */
  batchMs?: number | undefined;
}

export interface UseChannelMessagesResult<T> extends UseChannelResult<T> {
  /** The last `limit` messages, oldest first; a new array per batch, empty again after a new name, client or options. */
  messages: readonly Message<T>[];
}

/**
 * Subscribes to `name` and keeps its last `limit` messages in state, updated in batches
 * (every `batchMs`). Throws as {@link useChannel} does.
 */
export function useChannelMessages<T = unknown>(
  name: string,
  options: UseChannelMessagesOptions = {},
): UseChannelMessagesResult<T> {
  const { limit = 100, batchMs = 16, ...channelOptions } = options;
  // A new subscription identity (another client, name or options) starts an empty list.
  const client = useLifeline();
  const buffer = R.useMemo(createMessageBuffer<T>, [client, channelKey(name, channelOptions)]);
  const result = useChannel<T>(name, (msg) => buffer.push(msg, limit, batchMs), channelOptions);
  // Created empty by this render, so the server snapshot is the same (empty) list.
  const messages = R.useSyncExternalStore(buffer.subscribe, buffer.get, buffer.get);
  // Spreading would read (and so track) every field: add `messages` instead.
  (result as UseChannelMessagesResult<T>).messages = messages;
  return result as UseChannelMessagesResult<T>;
}
