/**
 * Key layout of the Redis broker. Every key of one channel shares the hash tag
 * `{channel}`, so a channel's keys live in one cluster slot and one Lua script can
 * touch them all atomically.
 */
export interface ChannelKeys {
  /** Random id of the log's current history. */
  epoch: string;
  /** Last assigned offset (integer, "0" for an empty log). */
  seq: string;
  /** The stream holding retained messages; entry ids are `<offset>-0`. */
  log: string;
  /** Pub/sub channel announcing each stored message to every node. */
  feed: string;
  /** Prefix of the dedupe keys of publishes without a publisher (`dedupe + id`; an open server). */
  dedupe: string;
  /**
   * Prefix of the dedupe keys of publishes by a token `sub` (`publisherDedupe +
   * JSON.stringify([sub, id])`): ids are scoped to their publisher (PROTOCOL.md §6).
   */
  publisherDedupe: string;
  /** Sorted set `clientId \0 connId` → expiry time (ms). */
  presenceExpiry: string;
  /** Hash clientId → number of live entries. */
  presenceCount: string;
  /** Hash clientId → member JSON as last announced. */
  presenceCurrent: string;
  /** Hash clientId → JSON list of `[connId, member JSON]`, oldest enter first (each connection's own info). */
  presenceEntries: string;
  /** Pub/sub channel for presence changes. */
  presenceEvents: string;
}

/**
 * The keys of `channel`. Throws a TypeError for a name with a brace: the server never
 * passes one (PROTOCOL.md §4), but a broker used directly could be handed `a}:seq` and
 * the like, whose keys would move to another cluster slot or, with a chosen publish id,
 * equal another channel's dedupe keys.
 */
export function channelKeys(prefix: string, channel: string): ChannelKeys {
  if (channel.includes('{') || channel.includes('}')) throw new TypeError('redis broker: a channel name cannot hold { or }');
  // The tag is the whole name: no brace inside it can end it early.
  const base = `${prefix}{${channel}}`;
  return {
    epoch: `${base}:epoch`,
    seq: `${base}:seq`,
    log: `${base}:log`,
    feed: `${base}:feed`,
    dedupe: `${base}:id:`,
    publisherDedupe: `${base}:uid:`,
    presenceExpiry: `${base}:pres:exp`,
    presenceCount: `${base}:pres:cnt`,
    presenceCurrent: `${base}:pres:cur`,
    presenceEntries: `${base}:pres:ent`,
    presenceEvents: `${base}:pres:ev`,
  };
}

/** Field naming one presence entry; split at the last NUL, so only `connId` (server-made) must be NUL-free. */
export const presenceField = (clientId: string, connId: string): string => `${clientId}\u0000${connId}`;
