// @vitest-environment node
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { renderToString } from 'react-dom/server';
import {
  LifelineProvider,
  useChannel,
  useChannelMessages,
  useConnectionState,
  usePresence,
} from '../../src';
import { createClient } from '@lifeline/core';
import { startServer, until } from '../support/server';

let server: Awaited<ReturnType<typeof startServer>>;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

/** Records any read of `window` and any WebSocket construction while installed. */
function installTraps() {
  const touched: string[] = [];
  const had = Object.getOwnPropertyDescriptor(globalThis, 'window');
  const hadWs = Object.getOwnPropertyDescriptor(globalThis, 'WebSocket');
  Object.defineProperty(globalThis, 'window', {
    configurable: true,
    get() {
      touched.push(`window read\n${new Error().stack}`);
      return undefined;
    },
  });
  Object.defineProperty(globalThis, 'WebSocket', {
    configurable: true,
    writable: true,
    value: class {
      constructor(url: string) {
        touched.push(`WebSocket(${url})`);
        throw new Error('no socket during SSR');
      }
    },
  });
  return {
    touched,
    restore() {
      if (had) Object.defineProperty(globalThis, 'window', had);
      else delete (globalThis as { window?: unknown }).window;
      if (hadWs) Object.defineProperty(globalThis, 'WebSocket', hadWs);
      else delete (globalThis as { WebSocket?: unknown }).WebSocket;
    },
  };
}

let traps: ReturnType<typeof installTraps> | undefined;
afterEach(() => traps?.restore());

function Page() {
  const { state } = useConnectionState();
  const { state: channelState } = useChannel('room:ssr', () => {});
  const { messages } = useChannelMessages('room:ssr');
  const members = usePresence('room:ssr', { name: 'ssr' });
  return (
    <p>{`connection=${state} channel=${channelState} messages=${messages.length} members=${members.length}`}</p>
  );
}

describe('server-side rendering', () => {
  it('renderToString with a url provider opens no socket and reads no window', async () => {
    expect(typeof (globalThis as { window?: unknown }).window).toBe('undefined');
    traps = installTraps();
    const html = renderToString(
      <LifelineProvider url={`${server.url}/v1`}>
        <Page />
      </LifelineProvider>,
    );
    expect(html).toContain('connection=closed channel=idle messages=0 members=0');
    expect(traps.touched).toEqual([]);
    traps.restore();
    traps = undefined;

    // Cross-check at the server: after a probe client completes its handshake, the
    // server has accepted exactly one connection, the probe's.
    const probe = createClient({ url: `${server.url}/v1` });
    try {
      await until(() => probe.state === 'open', 'the probe client to open');
      expect(server.stats().handshakesAccepted).toBe(1);
    } finally {
      await probe.close();
    }
  });

  it('importing the package touches neither window nor WebSocket', async () => {
    // Fresh module instances, so their top-level code runs again under the traps.
    vi.resetModules();
    traps = installTraps();
    const mod = await import('../../src');
    expect(typeof mod.LifelineProvider).toBe('function');
    expect(traps.touched).toEqual([]);
  });
});
