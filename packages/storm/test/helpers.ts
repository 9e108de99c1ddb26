import { createServer, connect, type Server, type Socket } from 'node:net';
import { isStormError, type StormError } from '../src/errors';

/** Polls `cond` until it is true or the deadline passes (generous: shared CPUs). */
export async function waitFor(cond: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface EchoServer {
  port: number;
  sockets: Set<Socket>;
  close(): Promise<void>;
}

/** A real TCP echo server on 127.0.0.1, port 0. */
export async function startEcho(): Promise<EchoServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    s.pipe(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    sockets,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

export interface TestSocket {
  socket: Socket;
  received: () => Buffer;
  closed: () => boolean;
}

/** Connects to 127.0.0.1:port and records what arrives and whether it closed. */
export async function dial(port: number): Promise<TestSocket> {
  const socket = connect({ host: '127.0.0.1', port });
  const chunks: Buffer[] = [];
  let isClosed = false;
  socket.on('data', (c) => chunks.push(c));
  socket.on('error', () => {});
  socket.on('close', () => (isClosed = true));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  return { socket, received: () => Buffer.concat(chunks), closed: () => isClosed };
}

/** The StormError `f` throws (any other error is thrown on; no throw fails the test). */
export function stormRefusal(f: () => unknown): StormError {
  try {
    f();
  } catch (e) {
    if (isStormError(e)) return e;
    throw e;
  }
  throw new Error('not refused');
}
