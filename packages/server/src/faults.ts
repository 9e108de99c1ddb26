import type { WebSocket } from 'ws';
import { isResettable } from './broker/memoryBroker';
import type { ServerContext } from './context';
import { socketOf } from './rawSocket';
import { stalledEcho } from './upgrade';

/** Test-only fault hooks, present when `createServer({ faults: true })`. */
export interface FaultHooks {
  /** Ends every socket at once: `terminate()` (peer sees 1006), or a close with `code` when given. The server stays up. */
  dropAll(code?: number): void;
  /** Half-open every current socket: stop reading and writing without closing. */
  stallAll(): void;
  /** Delays every outbound frame by `ms` (0 turns it off). */
  delay(ms: number): void;
  /** Drops every socket and loses the memory log (fresh epochs), like a process restart. */
  restart(): Promise<void>;
}

/** Sockets closed with a code get this long to finish the close handshake before they are cut. */
const CLOSE_GRACE_MS = 1000;

function endSocket(ws: WebSocket, code: number | undefined): void {
  if (code === undefined) return ws.terminate();
  try {
    ws.close(code, 'fault: drop');
  } catch {
    return ws.terminate();
  }
  setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
}

export function createFaults(ctx: ServerContext): FaultHooks {
  const allSockets = (): WebSocket[] => [...[...ctx.sessions].map((s) => s.ws), ...ctx.echoSockets];

  const dropAll = (code?: number): void => {
    for (const ws of allSockets()) endSocket(ws, code);
  };

  return {
    dropAll,
    stallAll() {
      for (const s of ctx.sessions) s.stall();
      for (const ws of ctx.echoSockets) {
        stalledEcho.add(ws);
        socketOf(ws)?.pause();
      }
    },
    delay(ms: number) {
      ctx.faults.delayMs = Math.max(0, Number.isFinite(ms) ? ms : 0);
    },
    async restart() {
      const closing = allSockets().map(
        (ws) => new Promise<void>((resolve) => (ws.readyState === ws.CLOSED ? resolve() : ws.once('close', () => resolve()))),
      );
      dropAll();
      await Promise.all(closing);
      await Promise.allSettled([...ctx.cleanups]);
      // A restarted process has no pending grace timers and no presence.
      ctx.grace.cancelAll();
      if (isResettable(ctx.broker)) await ctx.broker.reset();
    },
  };
}
