// Worker-thread entry: runs one Shard and answers the coordinator's calls.
import { parentPort, workerData } from 'node:worker_threads';
import { clientFactory } from './sim/clients';
import { Shard, type ShardSpec } from './sim/shard';

const port = parentPort;
if (port) {
  const spec = (workerData as { spec: ShardSpec }).spec;
  const shard = new Shard(spec, clientFactory(spec.client));
  const methods: Record<string, (...args: any[]) => unknown> = {
    start: () => shard.start(),
    status: () => shard.status(),
    markFault: () => shard.markFault(),
    caughtUp: (last) => shard.caughtUp(last),
    collect: (published) => shard.collect(published),
    close: () => shard.close(),
  };
  port.on('message', async (m: { id: number; cmd: string; args: unknown[] }) => {
    try {
      const fn = methods[m.cmd];
      if (!fn) throw new Error(`unknown command ${m.cmd}`);
      port.postMessage({ id: m.id, result: await fn(...m.args) });
    } catch (e) {
      port.postMessage({ id: m.id, error: e instanceof Error ? e.message : String(e) });
    }
  });
}
