import { execFileSync } from 'node:child_process';
import { StormError } from '../errors';
import { OPTION_RANGES } from './optionRanges';
import type { ResolvedStormOptions } from './options';
import { scenarios } from './scenarios';

/**
 * Files a process holds apart from the run's sockets (stdio, the event loop's, Redis and
 * publisher connections, the listening sockets): headroom so a run that fits by a few
 * files is not let through to fail at its last connects.
 */
export const FILE_HEADROOM = 64;

/** What a run needs per process: each client process's files and this process's. */
export interface FileNeeds {
  /** Sockets one simulated client costs in its process: its own, plus 2 when a chaos proxy forwards it. */
  perClient: number;
  /** Clients in the fullest process that runs clients. */
  clientsPerProcess: number;
  /** Files of the fullest client process (headroom included). */
  clientProcess: number;
  /** Files of this process: the clients' when `workers` is 0; the embedded servers' one socket per client (headroom included). */
  thisProcess: number;
  /** Whether the clients run in this process (`workers` 0). */
  inProcess: boolean;
}

/** The open files a run needs in each process. */
export function fileNeeds(o: Pick<ResolvedStormOptions, 'scenario' | 'clients' | 'workers' | 'target'>): FileNeeds {
  const proxied = scenarios[o.scenario].network !== 'direct';
  const perClient = 1 + (proxied ? 2 : 0);
  const serverSockets = o.target === undefined ? o.clients : 0;
  const inProcess = o.workers === 0;
  const clientsPerProcess = inProcess ? o.clients : Math.ceil(o.clients / Math.min(o.workers, o.clients));
  const clientProcess = clientsPerProcess * perClient + FILE_HEADROOM;
  const thisProcess = (inProcess ? clientProcess : FILE_HEADROOM) + serverSockets;
  return { perClient, clientsPerProcess, clientProcess, thisProcess, inProcess };
}

/**
 * The soft open-file limit of this process (what `ulimit -n` prints; child processes
 * inherit it), Infinity when unlimited, or null where it cannot be read (no /bin/sh, e.g.
 * Windows). Node 20 has no `process.getrlimit`, so it is asked of the shell.
 */
export function readOpenFileLimit(): number | null {
  const own = (process as unknown as { getrlimit?: (r: string) => { soft: number | bigint | null } }).getrlimit;
  if (typeof own === 'function') {
    try {
      const soft = own('nofile').soft;
      return soft === null ? Infinity : Number(soft);
    } catch {
      // fall through to the shell
    }
  }
  if (process.platform === 'win32') return null;
  try {
    const out = execFileSync('/bin/sh', ['-c', 'ulimit -n'], { encoding: 'utf8', timeout: 2000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (out === 'unlimited') return Infinity;
    const n = Number(out);
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

/**
 * Refuses, before anything starts, a run whose sockets do not fit under the open-file
 * limit `limit`: such a run used to connect for the whole warm-up and fail with
 * `connect EMFILE` (or crash with `listen EMFILE`). Returns a note for the run, or throws
 * StormError('FILE_LIMIT') naming `ulimit -n` and `--workers`.
 */
export function checkOpenFileLimit(o: Pick<ResolvedStormOptions, 'scenario' | 'clients' | 'workers' | 'target'>, limit: number | null): string | null {
  if (limit === null) return 'open-file limit not checked: it could not be read here (no /bin/sh `ulimit -n`)';
  const need = fileNeeds(o);
  const worst = Math.max(need.clientProcess, need.thisProcess);
  const perClientWords = need.perClient === 3 ? '3 sockets each: the client\'s and the chaos proxy\'s two' : '1 socket each';
  if (worst <= limit) return null;
  const parts: string[] = [];
  if (need.inProcess) {
    parts.push(`this process needs about ${need.thisProcess} open files (${o.clients} clients × ${perClientWords}${o.target === undefined ? ', plus a server socket each' : ''}, plus ${FILE_HEADROOM} spare)`);
  } else {
    parts.push(`each client process needs about ${need.clientProcess} open files (${need.clientsPerProcess} clients × ${perClientWords}, plus ${FILE_HEADROOM} spare)`);
    if (o.target === undefined) parts.push(`this process about ${need.thisProcess} (the embedded servers' socket per client)`);
  }
  const advice: string[] = [`raise the limit (ulimit -n ${roundUp(worst)}, in the shell that runs storm)`];
  const serversAlone = (o.target === undefined ? o.clients : 0) + FILE_HEADROOM;
  const workers = fewestWorkers(o, limit);
  if (serversAlone <= limit && workers !== null) advice.push(`spread the clients over more processes (--workers ${workers}, StormOptions.workers)`);
  else if (serversAlone > limit) advice.push(`run fewer clients: the embedded servers hold a socket per client in this process, which --workers does not spread`);
  throw new StormError('FILE_LIMIT', `the open-file limit is too low for this run: ${parts.join('; ')}, but the soft limit (ulimit -n) is ${limit}: ${advice.join(', or ')}`);
}

/** The fewest worker processes (1 to the workers maximum) whose client processes fit under `limit`, or null. */
function fewestWorkers(o: Pick<ResolvedStormOptions, 'scenario' | 'clients' | 'workers' | 'target'>, limit: number): number | null {
  for (let w = Math.max(1, o.workers + (o.workers > 0 ? 1 : 0)); w <= OPTION_RANGES.workers.max; w++) {
    if (fileNeeds({ ...o, workers: w }).clientProcess <= limit) return w;
  }
  return null;
}

/** A limit worth typing: the next multiple of 1024. */
function roundUp(n: number): number {
  return Math.ceil(n / 1024) * 1024;
}

/** Whether `e`, or an error in its `cause` chain, is a process out of open files (EMFILE / ENFILE). */
export function isFileLimitError(e: unknown): boolean {
  for (let x: unknown = e, depth = 0; x instanceof Error && depth < 8; x = (x as { cause?: unknown }).cause, depth++) {
    const code = (x as { code?: unknown }).code;
    if (code === 'EMFILE' || code === 'ENFILE' || /\bE[MN]FILE\b/.test(x.message)) return true;
  }
  return false;
}

/**
 * `e` as the run's error: a process out of open files mid-run (a server's `listen EMFILE`
 * used to reach the CLI as an "unexpected failure" with a Node stack; a warm-up whose
 * clients saw `connect EMFILE` failed as RUN_FAILED saying nothing of the limit) becomes
 * StormError('FILE_LIMIT') saying what to change; anything else is returned as it is.
 */
export function asFileLimitError(e: unknown): unknown {
  if (!isFileLimitError(e) || (e instanceof StormError && e.code !== 'RUN_FAILED')) return e;
  const what = e instanceof Error ? e.message : String(e);
  return new StormError('FILE_LIMIT', `a process of the run ran out of open files (${what}): raise the soft limit (ulimit -n) or spread the clients over more processes (--workers)`, { cause: e });
}
