import type { ChannelImpl } from './channel';
import { LifelineError } from './errors';
import type { ErrorFrame, WelcomeFrame } from './protocol';
import type { Publisher } from './publisher';

/** What the frame router needs from the client. */
export interface InboundHost {
  /** The channel a frame names, if the client has it. */
  find(name: unknown): ChannelImpl<any> | undefined;
  pub: Publisher;
  send(text: string): void;
  welcome(f: WelcomeFrame): void;
  /** A `pong` answered a ping sent at `t`. */
  pong(t: number): void;
  /** The server is draining: reconnect within `windowMs` when the socket closes. */
  drain(windowMs: number): void;
  report(e: LifelineError): void;
}

/**
 * Decodes and routes every inbound frame. A malformed or unknown frame is reported as
 * a BAD_FRAME error and dropped; the connection carries on.
 */
export function createFrameRouter(h: InboundHost): (data: unknown) => void {
  const bad = (why: string) => h.report(new LifelineError('BAD_FRAME', `bad frame from server: ${why}`));
  const onError = (f: ErrorFrame, ch: ChannelImpl | undefined): void => {
    const e = new LifelineError('SERVER_ERROR', `${f.code}: ${f.message}`, { serverCode: f.code, channel: f.channel, retryAfterMs: f.retryAfterMs });
    if (!h.pub.onError(f, e)) ch ? ch.onError(e, f.ref) : h.report(e);
  };
  return (data) => {
    let f: any;
    try {
      f = JSON.parse(data as string);
    } catch {
      // f stays undefined: reported below
    }
    if (f === null || typeof f !== 'object') return bad(typeof data === 'string' ? 'not a JSON object' : 'binary');
    const type = f.type;
    const ch = h.find(f.channel);
    // Shapes checked here so a malformed frame never throws out of the socket's onmessage.
    const p = f.presence;
    const pos = typeof f.offset === 'number' && typeof f.epoch === 'string';
    /** A malformed frame of a known type, or an unknown type: named in the message. */
    const no = () => bad(String(type).slice(0, 40));
    if (type === 'msg') pos ? ch?.onMsg(f) : no();
    else if (type === 'ping') h.send(JSON.stringify({ type: 'pong', t: f.t }));
    else if (type === 'pong') {
      if (typeof f.t === 'number') h.pong(f.t);
    } else if (type === 'welcome') Number.isFinite(f.heartbeatMs) && f.heartbeatMs > 0 ? h.welcome(f) : no();
    else if (type === 'subscribed') pos && (p === undefined || (Array.isArray(p) && p.every(isMember))) ? ch?.onSubscribed(f) : no();
    else if (type === 'unsubscribed') ch?.onUnsubscribed();
    else if (type === 'ack') h.pub.onAck(f);
    else if (type === 'presence') isMember(f.member) ? ch?.onPresence(f) : no();
    else if (type === 'presence.ok') ch?.onPresenceOk(f.ref);
    else if (type === 'drain') h.drain(Math.max(0, f.reconnectWindowMs) || 0);
    else if (type === 'error') onError(f, ch);
    else no();
  };
}

const isMember = (m: any): boolean => typeof m?.clientId === 'string';
