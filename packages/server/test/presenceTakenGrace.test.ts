// A presence.enter refused as taken (PROTOCOL.md §8: the clientId is held by another user)
// while the holder's member is kept only by this node's grace period: the connection that
// entered it is gone, and nobody will enter it again as that user. A client whose user
// changed (setToken() for another user: the server refuses the token in band, the client
// renews its connection) re-enters under its clientId at once, and was refused for good:
// its new user never appeared and watchers kept seeing the old one. Now such a refusal
// carries retryAfterMs = the grace time left, and the reference client enters again then.
// Held live: refused for good, as before. Held by another node's grace: told when it ends on
// the Redis broker (presenceTakenGraceNodes.test.ts); on a broker that does not store holds
// (two servers sharing one memory broker, below) the entry counts as live, refused for good.
// Real servers on port 0, real sockets, memory broker (the main case on Redis too, when it
// is up); time on a fake or manual clock.
import { describe, expect, it } from 'vitest';
import { createClient, type LifelineClient } from '@lifeline/core';
import { createManualClock } from '@lifeline/core/testing';
import { createServer, memoryBroker, signToken, type Broker, type Clock } from '../src/index';
import { closedAfterEach, T0 } from './helpers/coreClients';
import { FakeClock } from './helpers/fakeClock';
import { useRedisServer } from './helpers/redisServer';
import { TestClient, type Frame } from './helpers/wsClient';
import { waitFor } from './helpers/waitFor';

const SECRET = 'presence-taken-grace-secret';
const GRACE_MS = 5_000;
const CH = 'room:sw';
// Valid for a day of the fake clocks' time (the server checks `exp` on its clock; both clocks start at T0).
const token = (sub: string) => signToken({ sub, exp: Math.floor(T0 / 1000) + 86_400 }, SECRET);
const { available: redisUp, start, connect, track, openBroker } = await useRedisServer();
// The memory broker by default; Redis too for the main case (its presence list names each entry's connection as well).
const kinds: { name: string; make?: (clock: Clock) => Broker }[] = [
  { name: 'memory broker' },
  ...(redisUp ? [{ name: 'redis broker', make: (clock: Clock) => openBroker({ clock, onError: () => undefined }) }] : []),
];
const { cores, servers } = closedAfterEach();

const enter = (c: TestClient, info?: unknown) => c.request({ type: 'presence.enter', channel: CH, ...(info === undefined ? {} : { info }) });
const events = (w: TestClient) => w.frames.filter((f) => f.type === 'presence' && f.channel === CH).map((f) => [f.event, f.member.clientId, f.member.user]);

/** A server on a fake clock, a watcher subscribed to CH, and ada entered there as clientId X. */
async function adaPresent(make?: (clock: Clock) => Broker) {
  const clock = new FakeClock();
  const broker = make?.(clock);
  const server = await start({ port: 0, authSecret: SECRET, clock, presenceGraceMs: GRACE_MS, heartbeatMs: 3_600_000, ...(broker ? { broker } : {}) });
  const watcher = await connect({ token: token('w'), clientId: 'watcher' });
  await watcher.subscribe(CH);
  const ada = await connect({ token: token('ada'), clientId: 'X' });
  expect(await enter(ada, { name: 'Ada' })).toMatchObject({ type: 'presence.ok' });
  await waitFor(() => events(watcher).length === 1, "ada's join");
  return { clock, server, watcher, ada };
}

/** `c`'s connection dropped: its member goes on the server's grace timer. */
async function drop(server: { stats(): { presencePending: number } }, c: TestClient): Promise<void> {
  const before = server.stats().presencePending;
  c.close();
  await waitFor(() => server.stats().presencePending > before, 'the member handed to the grace');
}

describe('presence.enter refused as taken while the holder is only in its grace period', () => {
  it.each(kinds)('is told the grace time left; entered once the grace ends, watchers see bob, not ada ($name)', async ({ make }) => {
    const { clock, server, watcher, ada } = await adaPresent(make);
    await drop(server, ada);
    clock.advance(2_000);

    const bob = await connect({ token: token('bob'), clientId: 'X' });
    const refused = await enter(bob, { name: 'Bob' });
    expect(refused).toMatchObject({ type: 'error', code: 'FORBIDDEN', channel: CH, retryAfterMs: GRACE_MS - 2_000 });
    // Re-sent early: refused again, told what is left (at least 1 ms); the grace is not shortened.
    clock.advance(GRACE_MS - 2_000 - 1);
    expect(await enter(bob, { name: 'Bob' })).toMatchObject({ type: 'error', code: 'FORBIDDEN', retryAfterMs: 1 });
    expect(events(watcher)).toEqual([['join', 'X', 'ada']]);

    clock.advance(1); // the grace ends
    await waitFor(() => events(watcher).length === 2, "ada's leave");
    expect(await enter(bob, { name: 'Bob' })).toMatchObject({ type: 'presence.ok' });
    await waitFor(() => events(watcher).length === 3, "bob's join");
    expect(events(watcher)).toEqual([['join', 'X', 'ada'], ['leave', 'X', 'ada'], ['join', 'X', 'bob']]);
    const late = await connect({ token: token('late') });
    expect((await late.subscribe(CH)).presence).toEqual([{ clientId: 'X', user: 'bob', info: { name: 'Bob' } }]);
  });

  it('keeps: held by a live connection, the refusal is for good (no retryAfterMs)', async () => {
    const { watcher } = await adaPresent();
    const bob = await connect({ token: token('bob'), clientId: 'X' });
    const refused = await enter(bob);
    expect(refused).toMatchObject({ type: 'error', code: 'FORBIDDEN', channel: CH });
    expect(refused.retryAfterMs).toBeUndefined();
    expect(events(watcher)).toEqual([['join', 'X', 'ada']]);
  });

  it('keeps: one of the holder\'s connections in its grace, another live: for good', async () => {
    const { server, ada } = await adaPresent();
    const tab = await connect({ token: token('ada'), clientId: 'X' });
    expect(await enter(tab)).toMatchObject({ type: 'presence.ok' });
    await drop(server, ada);
    const refused = await enter(await connect({ token: token('bob'), clientId: 'X' }));
    expect(refused).toMatchObject({ type: 'error', code: 'FORBIDDEN' });
    expect(refused.retryAfterMs).toBeUndefined();
  });

  it('keeps: the holder back within its grace, an enter on the old hint is refused for good, and ada stays', async () => {
    const { clock, server, watcher, ada } = await adaPresent();
    await drop(server, ada);
    const bob = await connect({ token: token('bob'), clientId: 'X' });
    expect(await enter(bob)).toMatchObject({ code: 'FORBIDDEN', retryAfterMs: GRACE_MS });
    const back = await connect({ token: token('ada'), clientId: 'X' });
    expect(await enter(back, { name: 'Ada' })).toMatchObject({ type: 'presence.ok' });
    clock.advance(GRACE_MS); // the old connection's grace ends: its entry goes, the member stays (live)
    await waitFor(() => server.stats().presencePending === 0, 'the grace removal');
    const again = await enter(bob);
    expect(again).toMatchObject({ type: 'error', code: 'FORBIDDEN' });
    expect(again.retryAfterMs).toBeUndefined();
    expect(events(watcher)).toEqual([['join', 'X', 'ada']]);
  });

  it("keeps: the holder in another node's grace on a broker that does not store holds (memory): refused for good", async () => {
    const broker = memoryBroker();
    const clock = new FakeClock();
    const opts = { port: 0, authSecret: SECRET, broker, clock, presenceGraceMs: GRACE_MS, heartbeatMs: 3_600_000 } as const;
    const home = await createServer(opts);
    const away = await createServer(opts);
    servers.push(home, away);
    const ada = track(await TestClient.connect(away.url, { token: token('ada'), clientId: 'X' }));
    expect(await enter(ada)).toMatchObject({ type: 'presence.ok' });
    await drop(away, ada);
    const bob = track(await TestClient.connect(home.url, { token: token('bob'), clientId: 'X' }));
    const refused: Frame = await enter(bob);
    expect(refused).toMatchObject({ type: 'error', code: 'FORBIDDEN' });
    expect(refused.retryAfterMs).toBeUndefined();
  });
});

describe('the reference client changing user with setToken()', () => {
  const members = (c: LifelineClient) => c.channel(CH).presence.members().map((m) => [m.clientId, m.user]);

  it('enter as ada, setToken(bob): the refused re-entry is sent again on its hint, bob is listed once the grace ends', async () => {
    const clock = createManualClock(T0);
    const server = await createServer({ port: 0, authSecret: SECRET, clock, presenceGraceMs: GRACE_MS, heartbeatMs: 3_600_000 });
    servers.push(server);
    const watcher = createClient({ url: `${server.url}/v1`, clientId: 'watcher', token: token('w'), clock, lifecycle: false });
    const client = createClient({ url: `${server.url}/v1`, clientId: 'X', token: token('ada'), clock, lifecycle: false, reconnect: { initialDelayMs: 100, jitter: 'none' } });
    cores.push(watcher, client);
    watcher.channel(CH).subscribe(() => {});
    watcher.connect();
    client.connect();
    await client.channel(CH).presence.enter({ name: 'Ada' });
    await waitFor(() => members(watcher).length === 1, 'the watcher seeing ada');
    expect(members(watcher)).toEqual([['X', 'ada']]);

    const errors: string[] = [];
    client.on('error', (e) => void errors.push(`${e.serverCode}: ${e.message}`));
    client.setToken(token('bob'));
    // Refused in band (another subject): the client renews its connection and re-enters as bob,
    // refused while ada's member is in its grace, with the time left as its hint.
    await waitFor(() => client.state === 'closed' && server.stats().presencePending === 1, "ada's connection closed, her member in its grace");
    clock.advance(100); // the reconnect
    const enters = () => server.stats().framesIn['presence.enter'] ?? 0;
    await waitFor(() => client.state === 'open' && enters() === 2, "bob's re-entry");
    await new Promise((r) => setTimeout(r, 50)); // its refusal's way back: nothing else is sent
    expect(enters()).toBe(2);
    expect(errors).toEqual([expect.stringMatching(/^BAD_TOKEN/), expect.stringMatching(/^FORBIDDEN: .*held on room:sw by another user/)]);
    expect(members(watcher)).toEqual([['X', 'ada']]);

    clock.advance(GRACE_MS - 100); // the grace ends with the hint
    await waitFor(() => members(watcher).some(([, u]) => u === 'bob'), 'the watcher seeing bob', 2_000);
    expect(members(watcher)).toEqual([['X', 'bob']]);
  });
});
