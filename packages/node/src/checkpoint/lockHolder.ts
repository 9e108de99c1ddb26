import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { processRuns } from './processRuns';

/**
 * Who holds a checkpoint file's lock, as written in the lock file (`<checkpoint>.lock`) and
 * given in `CHECKPOINT_LOCKED`'s `details.holder`.
 */
export interface CheckpointLockHolder {
  /** The holder's process id (on `hostname`). */
  pid: number;
  /** `os.hostname()` of the holder's machine (or container). */
  hostname: string;
  /** When the holder process started (ISO 8601). */
  startedAt: string;
  /** When it took the lock (ISO 8601). */
  acquiredAt: string;
}

/** The lock file's content: the holder, plus what tells a dead holder from a live one. */
export interface LockRecord extends CheckpointLockHolder {
  /** Linux: the kernel's boot id (a reboot makes every older lock of this host stale). */
  bootId?: string;
  /** Linux: the holder's start time in clock ticks since boot (tells a reused PID). */
  startTicks?: number;
  /** Linux: the holder's PID namespace (`pid:[4026531836]`): its PID means nothing in another one. */
  pidNamespace?: string;
  /** Unique per acquisition: tells this process's lock from a later one at the same path. */
  token: string;
}

/** This process, as it describes itself in a lock file (the token aside). */
export function ownIdentity(): Omit<LockRecord, 'token' | 'acquiredAt'> {
  // Read once: none of it changes during the life of a process (the hostname aside, rarely).
  if (cachedSelf) return cachedSelf;
  const self: Omit<LockRecord, 'token' | 'acquiredAt'> = {
    pid: process.pid,
    hostname: hostname(),
    startedAt: new Date(ownStartMs).toISOString(),
  };
  const bootId = readBootId();
  const startTicks = readStartTicks(process.pid);
  const pidNamespace = readPidNamespace();
  if (bootId !== undefined) self.bootId = bootId;
  if (startTicks !== undefined) self.startTicks = startTicks;
  if (pidNamespace !== undefined) self.pidNamespace = pidNamespace;
  return (cachedSelf = self);
}

let cachedSelf: Omit<LockRecord, 'token' | 'acquiredAt'> | undefined;

const ownStartMs = Date.now() - Math.round(process.uptime() * 1000);

/** Parses a lock file's text, or null when it is not a lock record (empty: being written, or its writer died). */
export function parseLockRecord(text: string): LockRecord | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  const r = value as Partial<LockRecord> | null;
  if (
    typeof r !== 'object' ||
    r === null ||
    // 0 and negative PIDs name process groups: kill(0, 0) always succeeds, so such a lock
    // (hand-edited, corrupted) would count as alive for good. Unreadable instead (taken over).
    !Number.isSafeInteger(r.pid) ||
    (r.pid as number) <= 0 ||
    typeof r.hostname !== 'string' ||
    typeof r.startedAt !== 'string' ||
    typeof r.acquiredAt !== 'string' ||
    typeof r.token !== 'string'
  ) {
    return null;
  }
  return r as LockRecord;
}

/** The holder fields of a record (what errors and warnings show). */
export function holderOf(record: LockRecord): CheckpointLockHolder {
  return { pid: record.pid, hostname: record.hostname, startedAt: record.startedAt, acquiredAt: record.acquiredAt };
}

export function describeHolder(h: CheckpointLockHolder): string {
  return `pid ${h.pid} on ${h.hostname} (started ${h.startedAt}, locked ${h.acquiredAt})`;
}

/**
 * A holder refreshes its lock file's modification time this often, and a lock whose holder
 * this host cannot check is stale once not refreshed for {@link LOCK_LEASE_MS}.
 */
export const LOCK_REFRESH_MS = 5_000;
export const LOCK_LEASE_MS = 30_000;

/**
 * Whether the lock's holder is gone. A holder this process can check — same hostname, same
 * boot, same PID namespace — is gone once its process no longer runs: not this PID at all, or
 * the PID reused by another process (a restarted container's PID 1, told by the start time).
 * Any other holder (another host or container, a host rebooted — or another machine with the
 * same name) is gone only once its lease ran out: the lock file not refreshed for
 * {@link LOCK_LEASE_MS}. Taking a live lock is the corruption the lock exists to prevent.
 */
export function holderIsGone(record: LockRecord, lockMtimeMs: number, now = Date.now()): boolean {
  if (!pidIsCheckable(record)) return now - lockMtimeMs > LOCK_LEASE_MS;
  const self = ownIdentity();
  if (!processRuns(record.pid)) return true;
  const stat = record.pid === process.pid ? undefined : readProcStat(record.pid);
  // Killed, not yet reaped by its parent (a supervisor restarting it at once): kill(pid, 0) still answers.
  if (stat?.state === 'Z' || stat?.state === 'X') return true;
  // That PID runs: is it the holder, or a later process given the same PID?
  if (record.startTicks !== undefined) {
    const ticks = record.pid === process.pid ? self.startTicks : stat?.startTicks;
    if (ticks !== undefined) return ticks !== record.startTicks;
  }
  // Without /proc, only this process's own start time is known (a second is Date's and
  // uptime's rounding). Equal: another realm of this process (a worker thread) holds it.
  if (record.pid === process.pid) return Math.abs(Date.parse(record.startedAt) - ownStartMs) > 1000;
  return false;
}

/** Whether this process can tell if the holder's PID runs: same hostname, boot and PID namespace (those known). */
export function pidIsCheckable(record: LockRecord): boolean {
  const self = ownIdentity();
  const differs = (a: string | undefined, b: string | undefined) => a !== undefined && b !== undefined && a !== b;
  return record.hostname === self.hostname && !differs(record.bootId, self.bootId) && !differs(record.pidNamespace, self.pidNamespace);
}

function readPidNamespace(): string | undefined {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return undefined;
  }
}

function readBootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Field 22 of /proc/<pid>/stat (after the command name, which may hold spaces and parentheses). */
function readStartTicks(pid: number): number | undefined {
  return readProcStat(pid)?.startTicks;
}

/** Fields 3 (state) and 22 (start time) of /proc/<pid>/stat, read after the command name (which may hold spaces and parentheses). */
function readProcStat(pid: number): { state: string; startTicks: number | undefined } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    return { state: fields[0] ?? '', startTicks: Number.isSafeInteger(ticks) ? ticks : undefined };
  } catch {
    return undefined;
  }
}
