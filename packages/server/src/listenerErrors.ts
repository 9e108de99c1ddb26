import type { ServerContext } from './context';
import type { OpsLog } from './opsLog';

/**
 * An `'error'` of the listening HTTP server after it started listening. Node emits one per
 * failed accept (`syscall: 'accept'`, e.g. EMFILE when the process is out of file
 * descriptors): counted in `stats().acceptErrors` and logged at most once per interval
 * (OpsLog.acceptFailed). Anything else is logged as it comes.
 */
export function onListenerError(ctx: ServerContext, ops: OpsLog, err: NodeJS.ErrnoException): void {
  if (err.syscall === 'accept') {
    ctx.stats.acceptErrors++;
    ops.acceptFailed(err.code ?? 'unknown');
    return;
  }
  ctx.opts.logger.error('http server error', { err: String(err) });
}
