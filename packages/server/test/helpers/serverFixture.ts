// Integration files each repeated the same preamble (a `server` variable, a client list,
// a connect helper, an afterEach closing both); one copy keeps the cleanup identical
// everywhere and a client opened through it cannot be left unclosed.
//
// Vitest runs afterEach hooks in reverse order of registration (sequence.hooks "stack",
// its default): a file's own afterEach registered after useServer() runs before the
// fixture's cleanup (e.g. to release a held broker read), one registered before it runs
// after (e.g. to close a broker the server was given).
import { afterEach } from 'vitest';
import type WebSocket from 'ws';
import { createServer, type LifelineServer, type ServerOptions } from '../../src/index';
import { TestClient } from './wsClient';

/** How a {@link ServerFixture} is set up. */
export interface ServerFixtureOptions {
  /**
   * How tracked clients are dropped after each test. `'close'`: {@link TestClient.close}
   * (terminates a socket still open or connecting, leaves one already closing alone).
   * `'terminate'`: `ws.terminate()` in any state, also cutting a socket stuck half-way
   * through its close handshake. Default `'close'`.
   */
  dropClients?: 'close' | 'terminate';
}

/** One test's server and clients, cleaned up after each test by {@link useServer}. Its methods are bound: destructure them freely. */
export interface ServerFixture {
  /**
   * Starts a server with `options` exactly as given (`createServer`'s defaults: port 0 on
   * 127.0.0.1) and makes it the current {@link ServerFixture.server}. Every server started
   * in a test is closed after it, the current one or not.
   */
  start(options?: ServerOptions): Promise<LifelineServer>;
  /** The server last started in this test. Throws when none was: read it after {@link ServerFixture.start}. */
  readonly server: LifelineServer;
  /** Opens `${server.url}/v1`, completes the handshake with `hello` (merged into `{ type: 'hello', v: 1 }`) and tracks the client. */
  connect(hello?: Record<string, unknown>, opts?: WebSocket.ClientOptions): Promise<TestClient>;
  /** Opens `${server.url}${path}` (default `/v1`) without a handshake and tracks the client. Rejects like {@link TestClient.open}. */
  open(path?: string, opts?: WebSocket.ClientOptions): Promise<TestClient>;
  /** The clients dropped after this test. Pushing onto it tracks a client too (helpers that take a `TestClient[]` to fill). */
  readonly clients: TestClient[];
  /** Tracks a client made another way (e.g. against a URL of another server) and returns it. */
  track<C extends TestClient>(client: C): C;
}

/**
 * Registers an afterEach that drops every tracked client, then closes every server
 * started in the test (`close()` is idempotent, so a test may close or drain its server
 * itself), and returns the fixture to start them with. Call once at a file's top level.
 */
export function useServer(options: ServerFixtureOptions = {}): ServerFixture {
  const dropClients = options.dropClients ?? 'close';
  const clients: TestClient[] = [];
  const servers: LifelineServer[] = [];
  let current: LifelineServer | undefined;

  const server = (): LifelineServer => {
    if (current === undefined) throw new Error('useServer: no server started in this test; call start() first');
    return current;
  };
  const track = <C extends TestClient>(client: C): C => {
    clients.push(client);
    return client;
  };

  afterEach(async () => {
    for (const c of clients.splice(0)) {
      if (dropClients === 'terminate') c.ws.terminate();
      else c.close();
    }
    current = undefined;
    for (const s of servers.splice(0)) await s.close();
  });

  return {
    async start(serverOptions) {
      const started = await createServer(serverOptions);
      servers.push(started);
      current = started;
      return started;
    },
    get server() {
      return server();
    },
    connect: async (hello = {}, opts = {}) => track(await TestClient.connect(server().url, hello, opts)),
    open: async (path = '/v1', opts = {}) => track(await TestClient.open(`${server().url}${path}`, opts)),
    clients,
    track,
  };
}
