// Child process of redisClose.test.ts: a server on the Redis broker with one subscribed
// client. On a line on stdin it closes the server and the broker, prints "closed", and
// must then exit on its own; on exit it prints how long that took. Broker errors are
// printed as "error: ..." lines so the parent can wait for a state.
import { redisBroker } from '../../src/broker/redisBroker';
import { createServer } from '../../src/createServer';
import { TestClient } from './wsClient';

const [url, keyPrefix, channel] = process.argv.slice(2) as [string, string, string];
const say = (line: string): void => void process.stdout.write(`${line}\n`);

const broker = redisBroker({ url, keyPrefix, reconnectDelayMs: () => 20, onError: (e) => say(`error: ${e.message}`) });
const server = await createServer({ port: 0, broker });
const client = await TestClient.connect(server.url);
const subscribed = await client.subscribe(channel);
if (subscribed.type !== 'subscribed') throw new Error(`subscribe failed: ${JSON.stringify(subscribed)}`);
say('ready');

process.stdin.once('data', () => {
  process.stdin.destroy();
  void (async () => {
    await server.close();
    await broker.close();
    const closedAt = performance.now();
    say('closed');
    process.on('exit', () => say(`exit ${Math.round(performance.now() - closedAt)}`));
  })();
});
