import type { Channel } from './channel';
import { LifelineError } from './errors';
import type { ErrorFrame, WelcomeFrame } from './protocol';
import type { Publisher } from './publisher';
import type { Counters } from './stats';
import type { Connection } from './connection';
import type { Clock, TransitionReason } from './types';

/** What the frame router needs from the client. */
export interface InboundHost {
  /** The channel a frame names, if the client has it. */
  _find(name: unknown): Channel | undefined;
  /** The publisher, if anything was ever published. */
  readonly _outgoing?: Publisher;
  _send(text: string): void;
  _welcome(f: WelcomeFrame): void;
  /** The server took a token sent in band (`authed`). */
  _authed(f: { ref?: unknown; tokenExpiresInMs?: unknown }): void;
  /** The ref of the latest `auth` sent, and what to do when the server refuses it. */
  readonly _authRef?: number;
  _unauthed(e: LifelineError): void;
  /** Frames other than ping/pong received: the server is working for this client. */
  _work: number;
  /** A welcome was handled on the current connection: another one is a bad frame. */
  readonly _ready?: boolean;
  readonly _counters: Counters;
  readonly _clock: Clock;
  /** The server is draining: reconnect inside the slot (else the window) counted from now. */
  _drain(windowMs: unknown, slotMs?: unknown): void;
  _report(e: LifelineError): void;
  readonly _conn?: Connection | null;
  /** Tears the connection down (4202); the reconnect asks again for what it left unanswered. */
  _dead(c: Connection, why: TransitionReason): void;
}

/**
 * Decodes and routes one inbound frame. A malformed frame is reported as a BAD_FRAME
 * error and dropped, a frame of an unknown type ignored; the connection carries on. Shapes are checked here so
 * a malformed frame never throws out of the socket's message handler.
 */
export function routeFrame(h: InboundHost, data: unknown): void {
  let f: any;
  try {
    f = JSON.parse(data as string);
  } catch {
    // f stays undefined: reported below
  }
  if (!f || typeof f != 'object') return bad(h, typeof data === 'string' ? 'not a JSON object' : 'binary');
  const type = f.type;
  // Progress for the ack timeout (client.ts _tick): the server is doing more than heartbeats.
  if (type !== 'ping' && type !== 'pong') h._work++;
  const ch = h._find(f.channel);
  const p = f.presence;
  // A frame's position is checked like a `since` (or a publish resolved with a bad one).
  const pos = isPosition(f);
  if (type === 'msg') pos ? ch?._onMsg(f) : bad(h, type);
  else if (type === 'ping') h._send(JSON.stringify({ type: 'pong', t: f.t }));
  else if (type === 'pong') {
    // Answers a client ping sent at `t`: its round trip.
    if (typeof f.t === 'number') h._counters.rttMs = Math.max(0, h._clock.now() - f.t);
  }
  // A second welcome on one connection was taken as a new connection: every channel
  // subscribed again, presence entered again, `reconnects` counted one that never was.
  else if (type === 'welcome') Number.isFinite(f.heartbeatMs) && f.heartbeatMs > 0 && !h._ready ? h._welcome(f) : bad(h, type);
  else if (type === 'subscribed') pos && (p === undefined || (Array.isArray(p) && p.every(isMember))) ? ch?._onSubscribed(f) : bad(h, type, ch, f.ref);
  // Ends an unsubscribe in progress; a late answer (subscribed again meanwhile) changes nothing.
  else if (type === 'unsubscribed') ch?._state === 'unsubscribing' && ch._setState('idle');
  else if (type === 'ack') pos ? h._outgoing?._onAck(f) : bad(h, type);
  else if (type === 'presence') isMember(f.member) ? ch?.presence._onEvent(f) : bad(h, type);
  else if (type === 'presence.ok') ch?._pres?._answer(f.ref);
  else if (type === 'authed') h._authed(f);
  else if (type === 'drain') h._drain(f.reconnectWindowMs, f.reconnectSlotMs);
  else if (type === 'error') onError(h, f, ch);
  // A type this client does not know is a newer server's (PROTOCOL §16: new frame types
  // do not bump the version): ignored, not an error event per frame. No type at all is
  // a malformed frame, and so is the client's own `hello` coming back: the url echoes
  // (`/echo`), and the client retried on handshake timeouts for ever with no error said.
  else if (typeof type != 'string' || type == 'hello') bad(h, type == 'hello' ? 'hello (url echoes: /echo?)' : 'type ' + type);
}

/**
 * A malformed frame (of a known type, or without a type): named in the message. One
 * answering `ch`'s pending sub leaves it unanswered for good on this connection (it waited
 * out the ack timeout, 30 s): the connection is torn down at once, as that timeout would,
 * and the reconnect subscribes again. Said on the channel too, after the teardown (an
 * `error` listener's close() then cancels the retry).
 */
function bad(h: InboundHost, why: unknown, ch?: Channel, ref?: unknown): void {
  const e = new LifelineError('BAD_FRAME', `bad frame from server: ${String(why).slice(0, 40)}`, { channel: ch?.name });
  if (ref && ref === ch?._subRef) h._dead(h._conn!, 'bad-frame'), ch._report(e);
  else h._report(e);
}

function onError(h: InboundHost, f: ErrorFrame, ch: Channel | undefined): void {
  const e = new LifelineError('SERVER_ERROR', `${f.code}: ${f.message}`, { serverCode: f.code, channel: f.channel, retryAfterMs: f.retryAfterMs });
  if (f.ref && f.ref === h._authRef) h._unauthed(e);
  else if (!h._outgoing?._onError(f, e)) ch ? ch._onError(e, f.ref) : h._report(e);
}

/**
 * Offsets are integers from 0 (PROTOCOL §4). Anything else (1.5, -1, 1e999 = Infinity,
 * 2^53 + 2, which equals its neighbour) as a position would make later messages look
 * like duplicates or holes.
 */
export const isPosition = (p: any): boolean => p?.offset >= 0 && Number.isSafeInteger(p.offset) && typeof p.epoch === 'string';

const isMember = (m: any): boolean => typeof m?.clientId === 'string';
