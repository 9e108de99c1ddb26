import type { WebSocket } from 'ws';
import { CloseCode, type DrainFrame } from '@lifeline/core/protocol';
import { socketOf } from './rawSocket';
import type { Session } from './session/session';
import type { Logger } from './options';

/**
 * A drain with admission off (`maxHandshakesPerSec` unset) and at least this many clients is
 * warned about: they are all told to come back within the 1 s default window.
 */
export const ADMISSION_OFF_WARN_SESSIONS = 1000;

/**
 * The line a drain starts with: how many sessions, the reconnect window they are given
 * and where it comes from; and a warning when admission is off with a crowd, which the
 * default window sends back all within a second (wherever they land).
 */
export function logDrainStart(logger: Logger, sessions: number, windowMs: number, handshakesPerSec: number, timeoutMs: number): void {
  const admissionOn = Number.isFinite(handshakesPerSec);
  logger.info(
    `drain: ${sessions} session(s), reconnect window ${windowMs} ms ` +
      `(${admissionOn ? `admission ${handshakesPerSec}/s` : 'admission off: window from the default'})`,
    { sessions, windowMs, timeoutMs, ...(admissionOn ? { maxHandshakesPerSec: handshakesPerSec } : {}) },
  );
  if (admissionOn || sessions < ADMISSION_OFF_WARN_SESSIONS) return;
  logger.warn(
    `drain: admission is off, so ${sessions} clients are told to reconnect within ${windowMs} ms ` +
      `(about ${Math.round((sessions * 1000) / windowMs)} handshakes/s wherever they land); set ` +
      `--max-handshakes-per-sec / maxHandshakesPerSec to what a node admits and the window grows to fit (1.2 × clients ÷ rate)`,
    { sessions, windowMs },
  );
}

/** `max(1000, 1.2 × connected ÷ admission rate)` in ms (PROTOCOL.md §13). */
export function reconnectWindowMs(connected: number, handshakesPerSec: number): number {
  if (!Number.isFinite(handshakesPerSec)) return 1000;
  return Math.max(1000, Math.ceil(((1.2 * connected) / handshakesPerSec) * 1000));
}

/**
 * Client `k` of `n`'s share of the window: consecutive, disjoint, together the whole
 * window. Why slots rather than each client drawing over the whole window: 10,000
 * independent uniform draws clump (the fullest 100 ms bin held 1.3–1.4 × the mean in
 * storm runs), and the server is sized for the mean. Slot k goes to the k-th session in
 * connection order; `drainAll` closes them latest slot first.
 */
export function drainSlotMs(k: number, n: number, windowMs: number): [number, number] {
  return [Math.floor((k * windowMs) / n), Math.floor(((k + 1) * windowMs) / n)];
}

/**
 * Drains every session in one pass, latest slot first (client k of n gets slot k): the
 * clients closed while the pass still runs are the ones due last. Each frame carries
 * what is left of the window and its slot counted from when that frame is written
 * (clients count from the frame's arrival), so client k reconnects at about k/n ×
 * window after the drain began, an even wave when the window is long next to the pass;
 * a slot the pass has overrun is left out and that client spreads over what is left
 * (with a window no longer than the pass, they crowd its end). (Frames first in
 * batches, closes after, each client due at once after its close: the early slots
 * knocked while the pass still held the event loop, and their handshakes waited behind
 * it, peaks of 2.7 × C in storm drain 10k.)
 *
 * @param now clock for the time the pass has taken; default `performance.now`
 */
export function drainAll(sessions: readonly Session[], windowMs: number, now: () => number = performance.now.bind(performance)): void {
  const start = now();
  for (let k = sessions.length - 1; k >= 0; k--) {
    const spent = Math.round(now() - start);
    const [a, b] = drainSlotMs(k, sessions.length, windowMs);
    const left = Math.max(0, windowMs - spent);
    drainSession(sessions[k]!, left, b > spent ? [Math.max(0, a - spent), b - spent] : undefined);
  }
}

/**
 * One client's drain: the `drain` frame (PROTOCOL.md §13) and the 1012 close frame leave
 * in one write (the socket is corked around them), then the TCP half-close.
 */
export function drainSession(s: Session, windowMs: number, slotMs: [number, number] | undefined): void {
  const raw = socketOf(s.ws);
  raw?.cork();
  const frame: DrainFrame = { type: 'drain', reconnectWindowMs: windowMs, ...(slotMs ? { reconnectSlotMs: slotMs } : {}), reason: 'server shutting down' };
  s.sendRaw(JSON.stringify(frame), 'drain');
  s.close(CloseCode.SERVICE_RESTART, 'drain');
  endAfterCloseFrame(s.ws);
  raw?.uncork();
}

/**
 * Half-closes the TCP connection right after the close frame (a drain's 1012), instead
 * of waiting for the client's close frame before ending it.
 *
 * Why: a client's `close` event fires only once the server has ended the connection,
 * and the server does that when its event loop gets to the client's close reply. A
 * server draining 10,000 clients is busy exactly then, so the closes (and the
 * reconnect windows that start from them) reached clients up to 4–15 s late, and late
 * clients bunched up (storm, `drain`, 10,000 clients). With the FIN sent behind the
 * close frame, the client sees frame + end of stream, answers, and closes on its own.
 * Writes queued before `end()` (the `drain` frame, the close frame) are still delivered.
 */
export function endAfterCloseFrame(ws: WebSocket): void {
  const raw = socketOf(ws);
  if (raw && !raw.destroyed) raw.end();
}
