import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { StormError } from '../errors';
import type { PublishedRecord } from '../metrics/delivery';
import { clientFactory } from './clients';
import type { SimClientFactory } from './clients/types';
import { Shard, type ShardReport, type ShardSpec, type ShardStatus } from './shard';

/** The coordinator's view of a shard, whether it runs in this thread or a worker. */
export interface ShardHandle {
  start(): Promise<void>;
  status(): Promise<ShardStatus>;
  markFault(): Promise<void>;
  caughtUp(lastSeqPerChannel: number[]): Promise<number>;
  collect(published: PublishedRecord[][]): Promise<ShardReport>;
  close(): Promise<void>;
}

/** A shard in this thread (small runs, tests, and custom client factories). */
export function localShard(spec: ShardSpec, factory?: SimClientFactory): ShardHandle {
  const shard = new Shard(spec, factory ?? clientFactory(spec.client));
  return {
    start: async () => shard.start(),
    status: async () => shard.status(),
    markFault: async () => shard.markFault(),
    caughtUp: async (last) => shard.caughtUp(last),
    collect: async (published) => shard.collect(published),
    close: () => shard.close(),
  };
}

/** Path of the built worker entry next to this bundle, or null when running from source. */
export function workerEntry(): string | null {
  const here = fileURLToPath(import.meta.url);
  const candidate = here.replace(/[^/\\]+$/, here.endsWith('.cjs') ? 'shardWorker.cjs' : 'shardWorker.js');
  return /\.(c?js)$/.test(here) && existsSync(candidate) ? candidate : null;
}

/** A shard in a worker thread: the clients' CPU work leaves the server's thread. */
export function workerShard(spec: ShardSpec): ShardHandle {
  const entry = workerEntry();
  if (!entry) {
    throw new StormError('UNSUPPORTED_SCENARIO', 'worker threads need the built package (pnpm --filter @lifeline/storm build); set workers: 0 to run clients in this thread');
  }
  const worker = new Worker(entry, { workerData: { spec } });
  let next = 0;
  const pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  let dead: Error | null = null;
  worker.on('message', (m: { id: number; result?: unknown; error?: string }) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.error !== undefined) p.reject(new StormError('RUN_FAILED', `client shard failed: ${m.error}`));
    else p.resolve(m.result);
  });
  const fail = (e: Error) => {
    dead = e;
    for (const p of pending.values()) p.reject(new StormError('RUN_FAILED', 'client shard worker died', { cause: e }));
    pending.clear();
  };
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`worker exited with code ${code}`)));
  const call = <T>(cmd: string, ...args: unknown[]): Promise<T> => {
    if (dead) return Promise.reject(new StormError('RUN_FAILED', 'client shard worker died', { cause: dead }));
    const id = ++next;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, cmd, args });
    });
  };
  return {
    start: () => call('start'),
    status: () => call('status'),
    markFault: () => call('markFault'),
    caughtUp: (last) => call('caughtUp', last),
    collect: (published) => call('collect', published),
    async close() {
      if (!dead) await call('close').catch(() => {});
      await worker.terminate();
    },
  };
}
