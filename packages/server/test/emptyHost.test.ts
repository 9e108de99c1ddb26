// `host: ''` reached `listen({ host: '' })`, which Node reads as "every interface" (`::`):
// a blank value (an unset $HOST, an empty config field) exposed a server meant for
// loopback. It is refused now; every interface has to be asked for by name.
import { describe, expect, it } from 'vitest';
import { createServer, type LifelineServer } from '../src/index';

const tcpServers = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;

describe('createServer host', () => {
  it.each(['', ' ', '\t'])('refuses host %j with a TypeError naming the option and the explicit alternatives, before listening', async (host) => {
    const before = tcpServers();
    const err = await createServer({ host }).then(
      async (s) => {
        await s.close();
        return s.url;
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TypeError);
    expect((err as Error).message).toMatch(/createServer: host must be an interface address, got ".*"; pass '0\.0\.0\.0' or '::' to bind every interface/);
    expect(tcpServers()).toBe(before);
  });

  it('refuses a host that is not a string with the same message', async () => {
    await expect(createServer({ host: 8080 as unknown as string })).rejects.toThrow(/createServer: host must be an interface address, got 8080/);
  });

  it('still binds what is asked for by name: the loopback default and 0.0.0.0', async () => {
    const servers: LifelineServer[] = [];
    try {
      servers.push(await createServer());
      expect(servers[0]!.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
      servers.push(await createServer({ host: '0.0.0.0' }));
      expect(servers[1]!.url).toMatch(/^ws:\/\/0\.0\.0\.0:\d+$/);
    } finally {
      await Promise.all(servers.map((s) => s.close()));
    }
  });
});
