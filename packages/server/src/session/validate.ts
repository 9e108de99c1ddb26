import { CHANNEL_NAME, type ClientFrame, type ErrorCodeName } from '@lifeline/core/protocol';
import { encodable, wellFormed } from '../wireValues';

export const CLIENT_FRAME_TYPES = new Set([
  'hello',
  'sub',
  'unsub',
  'pub',
  'presence.enter',
  'presence.leave',
  'auth',
  'ping',
  'pong',
]);

export type Parsed =
  | { ok: true; frame: ClientFrame }
  | { ok: false; code: ErrorCodeName; message: string; ref?: number; channel?: string; type?: string };

/** Refs and offsets alike: non-negative safe integers. */
const isRef = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Parses one text frame and checks the fields its type requires. Never throws. */
export function parseClientFrame(text: string): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, code: 'BAD_FRAME', message: 'frame is not valid JSON' };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, code: 'BAD_FRAME', message: 'frame must be a JSON object' };
  }
  const f = value as Record<string, unknown>;
  if (typeof f.type !== 'string') return { ok: false, code: 'BAD_FRAME', message: 'frame has no string "type"' };
  const type = f.type;
  if (!CLIENT_FRAME_TYPES.has(type)) {
    return { ok: false, code: 'UNKNOWN_TYPE', message: `unknown frame type "${type.slice(0, 40)}"`, ...refOf(f) };
  }
  const bad = (message: string): Parsed => ({ ok: false, code: 'BAD_FIELD', message: `${type}: ${message}`, type, ...refOf(f) });

  switch (type) {
    case 'hello':
      if (typeof f.v !== 'number') return bad('"v" must be a number');
      if (f.token !== undefined && typeof f.token !== 'string') return bad('"token" must be a string');
      if (f.clientId !== undefined && (typeof f.clientId !== 'string' || f.clientId.length < 1 || f.clientId.length > 128 || !wellFormed(f.clientId))) {
        return bad('"clientId" must be a well-formed string of 1-128 characters');
      }
      if (f.agent !== undefined && typeof f.agent !== 'string') return bad('"agent" must be a string');
      break;
    case 'auth':
      if (!isRef(f.ref)) return bad('"ref" must be a non-negative integer');
      if (typeof f.token !== 'string') return bad('"token" must be a string');
      break;
    case 'ping':
    case 'pong':
      if (f.t !== undefined && typeof f.t !== 'number') return bad('"t" must be a number');
      break;
    default: {
      if (!isRef(f.ref)) return bad('"ref" must be a non-negative integer');
      if (typeof f.channel !== 'string' || !CHANNEL_NAME.test(f.channel)) {
        return bad('"channel" must match ^[A-Za-z0-9_\\-:.@/=+]{1,200}$');
      }
      if (type === 'sub' && f.since !== undefined) {
        const s = f.since as Record<string, unknown> | null;
        if (!s || typeof s !== 'object' || !isRef(s.offset) || typeof s.epoch !== 'string') {
          return bad('"since" must be {offset: non-negative integer, epoch: string}');
        }
      }
      if (type === 'sub' && f.limit !== undefined && !(isRef(f.limit) && f.limit >= 1)) {
        return bad('"limit" must be a positive integer');
      }
      if (type === 'pub') {
        if (!('data' in f) || f.data === undefined) return bad('"data" is required');
        if (!encodable(f.data)) return bad('"data" is nested too deeply to be sent on');
        if (typeof f.id !== 'string' || f.id.length < 1 || f.id.length > 128 || !wellFormed(f.id)) {
          return bad('"id" must be a well-formed string of 1-128 characters');
        }
      }
      if (type === 'presence.enter' && !encodable(f.info)) return bad('"info" is nested too deeply to be sent on');
    }
  }
  return { ok: true, frame: f as unknown as ClientFrame };
}

function refOf(f: Record<string, unknown>): { ref?: number; channel?: string } {
  const out: { ref?: number; channel?: string } = {};
  if (isRef(f.ref)) out.ref = f.ref;
  if (typeof f.channel === 'string' && CHANNEL_NAME.test(f.channel)) out.channel = f.channel;
  return out;
}
