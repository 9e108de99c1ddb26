import { CloseCode } from '@lifeline/core/protocol';
import type { Session } from './session';

/**
 * Refuses a request the token does not allow (`FORBIDDEN`) and counts it with the
 * connection's refused requests (publish, presence and subscribe refusals: 1,000 within
 * 10 s close 4201, PROTOCOL.md §11). Uncounted, a socket could send forbidden frames
 * without end, each one answered and each checked against every pattern of its token.
 * Not with the bad frames (100 within 10 s): a client whose token was narrowed is refused
 * every channel it held when it reconnects, up to `maxChannels` subscribes and as many
 * enters, and must not be closed for that.
 */
export function refuseForbidden(s: Session, message: string, about: { ref?: number; channel?: string }): void {
  s.error('FORBIDDEN', message, about);
  if (s.publishRefusals.hit()) s.close(CloseCode.ABUSE, 'too many forbidden requests');
}
