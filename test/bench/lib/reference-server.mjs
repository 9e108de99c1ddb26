// Runs the real @lifeline/server (built dist) in its own process for the benchmarks
// that measure it or go through it. Publish rate limits are lifted so the
// benchmark, not the limiter, sets the pace; everything else is the default.
// `node reference-server.mjs [json options]` prints READY {url, httpUrl}.
import { createServer } from '@lifeline/server';

const extra = process.argv[2] ? JSON.parse(process.argv[2]) : {};
const server = await createServer({
  port: 0,
  host: '127.0.0.1',
  publishPerSec: 1e9,
  publishBurst: 1e9,
  httpPublishPerSec: 1e9,
  httpPublishBurst: 1e9,
  ...extra,
});
console.log(`READY ${JSON.stringify({ url: server.url, httpUrl: server.httpUrl })}`);
process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
