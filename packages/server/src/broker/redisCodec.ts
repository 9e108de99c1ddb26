import type { StoredMessage } from './types';

/** Raw XRANGE entry: `[id, [field, value, ...]]`. */
export type RawEntry = [string, string[]];

/** Turns one stream entry into a message; entry ids are `<offset>-0`. */
export function decodeEntry(channel: string, epoch: string, entry: RawEntry): StoredMessage {
  const [entryId, fields] = entry;
  let data: unknown = null;
  let id = '';
  let user: string | undefined;
  let ts = 0;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const value = fields[i + 1] as string;
    switch (fields[i]) {
      case 'd': data = JSON.parse(value); break;
      case 'i': id = value; break;
      case 'u': user = JSON.parse(value) as string; break;
      case 't': ts = Number(value); break;
    }
  }
  const msg: StoredMessage = { channel, offset: Number.parseInt(entryId, 10), epoch, data, ts };
  if (id !== '') msg.id = id;
  // Entries stored before `u` existed have none: read as a message without a user.
  if (user !== undefined) msg.user = user;
  return msg;
}

/**
 * Parses a fan-out notification: a JSON header `[epoch, offset, ts, id]` (then the
 * user's JSON text as a fifth element when the message has one), a newline, then the data's JSON (JSON
 * text never holds a raw newline, so the first one splits).
 */
export function decodeNotification(channel: string, payload: string): StoredMessage {
  const nl = payload.indexOf('\n');
  const [epoch, offset, ts, id, user] = JSON.parse(payload.slice(0, nl)) as [string, number, string, string, string?];
  const msg: StoredMessage = { channel, offset: Number(offset), epoch, data: JSON.parse(payload.slice(nl + 1)), ts: Number(ts) };
  if (id !== '') msg.id = id;
  if (typeof user === 'string') msg.user = JSON.parse(user) as string;
  return msg;
}

/** JSON text of a publish's data; a clear TypeError instead of storing something unreadable. */
export function encodeData(data: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(data);
  } catch (err) {
    throw new TypeError(`redis broker: data is not JSON-serialisable: ${(err as Error).message}`, { cause: err });
  }
  if (json === undefined) throw new TypeError('redis broker: data is not JSON-serialisable (undefined, a function or a symbol)');
  return json;
}
