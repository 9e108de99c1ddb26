// Child-process entry: runs one Shard and answers the coordinator over IPC.
import { clientFactory } from './sim/clients';
import { Shard, type ShardSpec } from './sim/shard';

if (typeof process.send === 'function') {
  let shard: Shard | null = null;
  const methods: Record<string, (...args: any[]) => unknown> = {
    init: (spec: ShardSpec) => {
      shard = new Shard(spec, clientFactory(spec.client));
    },
    start: () => shard!.start(),
    status: () => shard!.status(),
    markFault: () => shard!.markFault(),
    caughtUp: (last) => shard!.caughtUp(last),
    chaos: (cmd) => shard!.chaos(cmd),
    proxyStats: () => shard!.proxyStats(),
    collect: (published) => shard!.collect(published),
    close: async () => {
      await shard?.close();
      setImmediate(() => process.disconnect?.());
    },
  };
  process.on('message', async (m: { id: number; cmd: string; args: unknown[] }) => {
    try {
      const fn = methods[m.cmd];
      if (!fn) throw new Error(`unknown command ${m.cmd}`);
      process.send!({ id: m.id, result: await fn(...m.args) });
    } catch (e) {
      process.send!({ id: m.id, error: e instanceof Error ? e.message : String(e) });
    }
  });
  // The coordinator going away ends the shard: no orphaned clients.
  process.on('disconnect', () => process.exit(0));
}
