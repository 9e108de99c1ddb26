import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { StormError } from '../errors';
import type { PublishedRecord } from '../metrics/delivery';
import type { ChaosProxyStats } from '../proxy/chaosProxy';
import { clientFactory } from './clients';
import type { SimClientFactory } from './clients/types';
import { Shard, type ChaosCommand, type ShardReport, type ShardSpec, type ShardStatus } from './shard';

/** The coordinator's view of a shard, whether it runs in this process or another. */
export interface ShardHandle {
  start(): Promise<void>;
  status(): Promise<ShardStatus>;
  markFault(): Promise<void>;
  caughtUp(lastSeqPerChannel: number[]): Promise<number>;
  chaos(cmd: ChaosCommand): Promise<number>;
  proxyStats(): Promise<ChaosProxyStats | null>;
  collect(published: PublishedRecord[][]): Promise<ShardReport>;
  close(): Promise<void>;
}

/** A shard in this process (small runs, tests, and custom client factories). */
export function localShard(spec: ShardSpec, factory?: SimClientFactory): ShardHandle {
  const shard = new Shard(spec, factory ?? clientFactory(spec.client));
  return {
    start: () => shard.start(),
    status: async () => shard.status(),
    markFault: async () => shard.markFault(),
    caughtUp: async (last) => shard.caughtUp(last),
    chaos: async (cmd) => shard.chaos(cmd),
    proxyStats: async () => shard.proxyStats(),
    collect: async (published) => shard.collect(published),
    close: () => shard.close(),
  };
}

/** Path of the built worker entry next to this bundle, or null when running from source. */
export function workerEntry(): string | null {
  const here = fileURLToPath(import.meta.url);
  if (!/\.(c?js)$/.test(here)) return null;
  const candidate = here.replace(/[^/\\]+$/, here.endsWith('.cjs') ? 'shardWorker.cjs' : 'shardWorker.js');
  return existsSync(candidate) ? candidate : null;
}

/**
 * A shard in a child process. Processes rather than worker threads, because a
 * process's open-file limit (20,000 on this project's machines) is shared by its
 * threads, and 10,000 clients behind a proxy need 30,000 sockets.
 */
export function processShard(spec: ShardSpec): ShardHandle {
  const entry = workerEntry();
  if (!entry) {
    throw new StormError('UNSUPPORTED_SCENARIO', 'worker processes need the built package (pnpm --filter @lifeline/storm build); set workers: 0 to run clients in this process');
  }
  const child = fork(entry, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let next = 0;
  const pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  let dead: Error | null = null;
  child.on('message', (m: { id: number; result?: unknown; error?: string }) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.error !== undefined) p.reject(new StormError('RUN_FAILED', `client shard failed: ${m.error}`));
    else p.resolve(m.result);
  });
  const fail = (e: Error) => {
    dead = e;
    for (const p of pending.values()) p.reject(new StormError('RUN_FAILED', 'client shard process died', { cause: e }));
    pending.clear();
  };
  child.on('error', fail);
  child.on('exit', (code, signal) => fail(new Error(`shard process exited (${code ?? signal})`)));
  const call = <T>(cmd: string, ...args: unknown[]): Promise<T> => {
    if (dead) return Promise.reject(new StormError('RUN_FAILED', 'client shard process died', { cause: dead }));
    const id = ++next;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      child.send({ id, cmd, args });
    });
  };
  void call('init', spec);
  return {
    start: () => call('start'),
    status: () => call('status'),
    markFault: () => call('markFault'),
    caughtUp: (last) => call('caughtUp', last),
    chaos: (cmd) => call('chaos', cmd),
    proxyStats: () => call('proxyStats'),
    collect: (published) => call('collect', published),
    async close() {
      if (!dead) await call('close').catch(() => {});
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill();
        await exited;
      }
    },
  };
}
