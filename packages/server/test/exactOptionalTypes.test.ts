import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// Every optional option takes `undefined` (the root README promises it, and the server reads
// it as "not given"), but ServerOptions, MemoryBrokerOptions, RedisBrokerOptions and
// signToken's claims were typed `port?: number`: under exactOptionalPropertyTypes an app's
// `{ port: config.port, authSecret: process.env.SECRET }` failed with TS2375/TS2379.

const here = dirname(fileURLToPath(import.meta.url));
const entry = join(here, '__exactOptional__.ts');

const SOURCE = `
import { createServer, memoryBroker, redisBroker, signToken, type ServerOptions, type MemoryBrokerOptions, type RedisBrokerOptions, type SignTokenClaims, type TokenClaims } from '../src/index';
declare const n: number | undefined;
declare const s: string | undefined;
declare const b: boolean | undefined;
declare const list: string[] | undefined;

export async function main(): Promise<void> {
  const server: ServerOptions = {
    port: n, host: process.env.HOST, broker: undefined, ownsBroker: b, retention: n, heartbeatMs: n, maxHandshakesPerSec: n,
    maxConnections: n, authSecret: process.env.LIFELINE_AUTH_SECRET, echo: b, metrics: b, allowedOrigins: list, tls: undefined,
    maxFrameBytes: n, maxChannels: n, publishPerSec: n, publishBurst: n, httpPublishPerSec: n, httpPublishBurst: n,
    maxPresenceInfoBytes: n, maxPresenceMembers: n, presenceGraceMs: n, handshakeTimeoutMs: n, httpTimeoutMs: n,
    drainTimeoutMs: n, drainDelayMs: n, maxBufferedBytes: n, maxReplayBytes: n, replayStallMs: n, faults: b, clock: undefined, logger: undefined,
  };
  await createServer(server);
  const mem: MemoryBrokerOptions = { retention: n, dedupeWindow: n, dedupeTtlMs: n, maxRetainedBytes: n, maxIdleChannels: n, clock: undefined };
  memoryBroker(mem);
  const redis: RedisBrokerOptions = {
    url: process.env.REDIS_URL, keyPrefix: s, retention: n, approximateRetention: b, dedupeTtlMs: n, idleChannelTtlMs: n,
    presenceTtlMs: n, presenceSweepMs: n, readyTimeoutMs: n, commandTimeoutMs: n, reconnectDelayMs: undefined, catchUpBatch: n,
    clock: undefined, newEpoch: undefined, onError: undefined, redisOptions: undefined,
  };
  redisBroker(redis);
  const claims: SignTokenClaims = { sub: s, exp: n, nbf: n, subscribe: list, publish: list, role: 'admin' };
  signToken(claims, 'secret');
  const verified: TokenClaims = { exp: 1, sub: s, nbf: n, subscribe: list, publish: list };
  signToken(verified, 'secret');
  // @ts-expect-error a typo in an option is still an error
  await createServer({ authSecert: 'x' });
  // @ts-expect-error a typo in a broker option is still an error
  redisBroker({ keyprefix: 'x:' });
  // @ts-expect-error patterns are a list, not a string
  signToken({ subscribe: 'room:*' }, 'secret');
}
`;

/** A program over `SOURCE`, which exists only in memory at `entry`. */
function programOf(options: ts.CompilerOptions): ts.Program {
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, ...rest) => (name === entry ? ts.createSourceFile(name, SOURCE, lang) : getSourceFile(name, lang, ...rest));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === entry || fileExists(name);
  return ts.createProgram([entry], options, host);
}

describe('server option types under exactOptionalPropertyTypes', () => {
  it('every optional option and claim takes undefined; typos and a string of patterns are still errors', () => {
    const parsed = ts.getParsedCommandLineOfConfigFile(join(here, '../tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })!;
    const program = programOf({ ...parsed.options, exactOptionalPropertyTypes: true, noEmit: true, skipLibCheck: true });
    const errors = ts.getPreEmitDiagnostics(program, program.getSourceFile(entry)).map((d) => `${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n').split('\n')[0]}`);
    expect(errors).toEqual([]);
  }, 60_000);
});
