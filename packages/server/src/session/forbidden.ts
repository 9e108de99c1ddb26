import { CloseCode } from '@lifeline/core/protocol';
import type { Session } from './session';

/**
 * Refuses a request the token does not allow (`FORBIDDEN`) and counts it: 1,000 + 2 ×
 * `maxChannels` within 10 s close 4201 (PROTOCOL.md §11). Uncounted, a socket could send
 * forbidden frames without end, each one answered and each checked against every pattern
 * of its token. A count of their own, above a reconnect's worth: a client whose token was
 * narrowed is refused every channel it held when it reconnects, up to `maxChannels`
 * subscribes and as many enters, and must not be closed for that (counted with the 1,000
 * publish refusals, a server allowing 500 channels or more closed such a client on every
 * reconnect).
 */
export function refuseForbidden(s: Session, message: string, about: { ref?: number; channel?: string }): void {
  s.ctx.stats.forbidden.ws++;
  s.error('FORBIDDEN', message, about);
  if (s.forbiddenRefusals.hit()) s.close(CloseCode.ABUSE, 'too many forbidden requests');
}
