// What a drain says (operator trial, F6/F7/F8): its reconnect window was not logged,
// nothing said it completed, and the presence-hold warning did not say what to do.
import { describe, expect, it } from 'vitest';
import { memoryBroker } from '../src/broker/memoryBroker';
import { type Logger } from '../src';
import { ADMISSION_OFF_WARN_SESSIONS, logDrainStart } from '../src/drainClose';
import { useServer } from './helpers/serverFixture';
import type { TestClient } from './helpers/wsClient';

const { start, connect } = useServer();

function capture(): { logger: Logger; info: string[]; warn: string[] } {
  const info: string[] = [];
  const warn: string[] = [];
  const noop = (): void => undefined;
  return { info, warn, logger: { debug: noop, error: noop, info: (m) => void info.push(m), warn: (m) => void warn.push(m) } };
}

const rawOf = (c: TestClient) => (c.ws as unknown as { _socket: { pause(): void } })._socket;

describe('drain log lines', () => {
  it('says the sessions and window (admission on) when it starts, and that it completed when it ends', async () => {
    const { logger, info, warn } = capture();
    const server = await start({ logger, maxHandshakesPerSec: 10 });
    await connect();
    await connect();
    await server.drain({ timeoutMs: 5000 });
    expect(info).toContain('drain: 2 session(s), reconnect window 1000 ms (admission 10/s)');
    expect(info.filter((l) => /^drain complete: all gone in \d+ ms, stopped in \d+ ms$/.test(l))).toHaveLength(1);
    expect(warn.filter((w) => w.startsWith('drain'))).toEqual([]);
  });

  it('with admission off, says the window comes from the default', async () => {
    const { logger, info } = capture();
    const server = await start({ logger });
    await connect();
    await server.drain({ timeoutMs: 5000 });
    expect(info[0]).toBe('drain: 1 session(s), reconnect window 1000 ms (admission off: window from the default)');
  });

  it('a drain that times out gives the timeout warning and no "drain complete"', async () => {
    const { logger, info, warn } = capture();
    const server = await start({ logger });
    rawOf(await connect()).pause();
    await server.drain({ timeoutMs: 200 });
    expect(warn.filter((w) => w.startsWith('drain'))).toEqual(['drain: 1 connection(s) still open after 200 ms; terminating them']);
    expect(info.filter((l) => l.startsWith('drain complete'))).toEqual([]);
  });

  it(`warns when admission is off with ${ADMISSION_OFF_WARN_SESSIONS} or more clients, and says how to spread them`, () => {
    const { logger, warn } = capture();
    logDrainStart(logger, ADMISSION_OFF_WARN_SESSIONS - 1, 1000, Infinity, 10_000);
    expect(warn).toEqual([]);
    logDrainStart(logger, 10_000, 1000, 500, 10_000); // admission on: its window is sized for the crowd
    expect(warn).toEqual([]);
    logDrainStart(logger, 10_000, 1000, Infinity, 10_000);
    expect(warn).toHaveLength(1);
    expect(warn[0]).toContain('admission is off, so 10000 clients are told to reconnect within 1000 ms (about 10000 handshakes/s');
    expect(warn[0]).toContain('set --max-handshakes-per-sec / maxHandshakesPerSec');
  });

  it('holding presence on a shared broker: says for how long, and a deadline that cuts the hold says which timeout to set', async () => {
    const broker = memoryBroker();
    try {
      const { logger, info, warn } = capture();
      const server = await start({ logger, broker, presenceGraceMs: 5000 });
      const member = await connect({ clientId: 'ada' });
      await member.request({ type: 'presence.enter', channel: 'room' });
      await server.drain({ timeoutMs: 300 });
      const holdMs = 1000 + 5000; // admission off: the 1 s window, plus the grace
      expect(info).toContain(`drain: holding presence of 1 member(s) for ${holdMs} ms (reconnect window + grace)`);
      const cut = warn.filter((w) => w.includes('presence'));
      expect(cut).toHaveLength(1);
      expect(cut[0]).toContain(`set --drain-timeout-ms / drainTimeoutMs >= ${holdMs} to hold them through`);
    } finally {
      await broker.close();
    }
  });
});

