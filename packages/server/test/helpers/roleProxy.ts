// A loopback TCP proxy in front of the real Redis that tells the Redis broker's two
// connections apart (by the `<name>:cmd` / `<name>:sub` connection name ioredis sends
// first), so a test can fault one of them: cut it, refuse its reconnects, or hold the
// replies Redis sends it (the command ran in Redis; the broker has not seen the answer).
import net from 'node:net';

export type Role = 'cmd' | 'sub';

export interface RoleProxy {
  /** `redis://127.0.0.1:PORT`. */
  url: string;
  /** Ends every connection of `role` (Redis drops a cut subscriber's subscriptions). */
  cut(role: Role): void;
  /** While on, new connections of `role` are closed as soon as they name themselves. */
  refuse(role: Role, on: boolean): void;
  /** Keeps what Redis sends to `role` connections until `release(role)`. */
  hold(role: Role): void;
  release(role: Role): void;
  /** Bytes Redis sent to `role` connections that are being held. */
  heldBytes(role: Role): number;
  close(): Promise<void>;
}

interface Conn {
  role: Role | undefined;
  client: net.Socket;
  upstream: net.Socket;
  held: Buffer[];
}

const NAMED = /lifeline-broker:(cmd|sub)/;

export async function startRoleProxy(redisPort = 6379): Promise<RoleProxy> {
  const conns = new Set<Conn>();
  const refused = new Set<Role>();
  const holding = new Set<Role>();

  const server = net.createServer((client) => {
    const upstream = net.connect(redisPort, '127.0.0.1');
    const c: Conn = { role: undefined, client, upstream, held: [] };
    conns.add(c);
    let head = Buffer.alloc(0);
    for (const s of [client, upstream]) {
      s.on('error', () => undefined);
      s.on('close', () => {
        conns.delete(c);
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (chunk: Buffer) => {
      if (c.role) return void upstream.write(chunk);
      // Hold the first bytes until the connection has named itself.
      head = Buffer.concat([head, chunk]);
      const role = NAMED.exec(head.toString('latin1'))?.[1] as Role | undefined;
      if (!role) return;
      c.role = role;
      if (refused.has(role)) return void client.destroy();
      upstream.write(head);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (c.role && holding.has(c.role)) c.held.push(chunk);
      else client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const ofRole = (role: Role) => [...conns].filter((c) => c.role === role);

  return {
    url: `redis://127.0.0.1:${port}`,
    cut(role) {
      for (const c of ofRole(role)) c.client.destroy();
    },
    refuse(role, on) {
      if (on) refused.add(role);
      else refused.delete(role);
    },
    hold(role) {
      holding.add(role);
    },
    release(role) {
      holding.delete(role);
      for (const c of ofRole(role)) for (const chunk of c.held.splice(0)) c.client.write(chunk);
    },
    heldBytes: (role) => ofRole(role).reduce((n, c) => n + c.held.reduce((m, b) => m + b.length, 0), 0),
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of conns) c.client.destroy();
        server.close(() => resolve());
      }),
  };
}
