import { describe, expect, it } from 'vitest';
import { FakeClock } from './helpers/fakeClock';
import { useServer } from './helpers/serverFixture';
import { waitFor } from './helpers/waitFor';
import type { TestClient } from './helpers/wsClient';

const fixture = useServer();
const { start } = fixture;
const connect = (clientId: string) => fixture.connect({ clientId });
/** Round-trips a ping: every frame the server queued for `c` before it has arrived. */
const barrier = async (c: TestClient) => {
  const t = Math.random();
  c.send({ type: 'ping', t });
  await c.next('pong', (f) => f.t === t);
};
const presenceEvents = (c: TestClient) => c.frames.filter((f) => f.type === 'presence').map((f) => `${f.event}:${f.member.clientId}`);

describe('presence', () => {
  it('lists present members on subscribe and sends join, update and leave to subscribers', async () => {
    await start();
    const ada = await connect('ada');
    const bob = await connect('bob');
    expect(await ada.request({ type: 'presence.enter', channel: 'room', info: { name: 'Ada' } })).toMatchObject({
      type: 'presence.ok',
      channel: 'room',
    });
    const sub = await bob.subscribe('room');
    expect(sub.presence).toEqual([{ clientId: 'ada', info: { name: 'Ada' } }]);
    await bob.request({ type: 'presence.enter', channel: 'room', info: { name: 'Bob' } });
    await ada.request({ type: 'presence.enter', channel: 'room', info: { name: 'Ada L.' } });
    await ada.request({ type: 'presence.leave', channel: 'room' });
    await bob.next('presence', (f) => f.event === 'leave');
    expect(presenceEvents(bob)).toEqual(['join:bob', 'update:ada', 'leave:ada']);
    expect(bob.frames.find((f) => f.type === 'presence' && f.event === 'update')!.member.info).toEqual({ name: 'Ada L.' });
  });

  it('a member who drops and returns within the grace period does not flap (fake clock)', async () => {
    const clock = new FakeClock();
    const server = await start({ clock, presenceGraceMs: 5000 });
    const watcher = await connect('watcher');
    await watcher.subscribe('room');
    const ada1 = await connect('ada');
    await ada1.request({ type: 'presence.enter', channel: 'room', info: { n: 1 } });
    await watcher.next('presence', (f) => f.event === 'join');
    ada1.ws.terminate();
    await waitFor(() => server.stats().connections === 1, 'the server to see the drop');
    clock.advance(3000);
    const ada2 = await connect('ada');
    await ada2.request({ type: 'presence.enter', channel: 'room', info: { n: 1 } });
    clock.advance(10_000); // the old connection's grace timer fires now
    await barrier(watcher);
    expect(presenceEvents(watcher)).toEqual(['join:ada']);
    const again = await connect('late');
    expect((await again.subscribe('room')).presence).toEqual([{ clientId: 'ada', info: { n: 1 } }]);
  });

  it('a member who does not return leaves exactly when the grace period ends (fake clock)', async () => {
    const clock = new FakeClock();
    const server = await start({ clock, presenceGraceMs: 5000 });
    const watcher = await connect('watcher');
    await watcher.subscribe('room');
    const ada = await connect('ada');
    await ada.request({ type: 'presence.enter', channel: 'room' });
    ada.ws.terminate();
    await waitFor(() => server.stats().connections === 1, 'the server to see the drop');
    clock.advance(4999);
    await barrier(watcher);
    expect(presenceEvents(watcher)).toEqual(['join:ada']);
    clock.advance(1);
    await watcher.next('presence', (f) => f.event === 'leave');
    expect(presenceEvents(watcher)).toEqual(['join:ada', 'leave:ada']);
  });

  it('an explicit leave is immediate even while an older connection of the client is in grace', async () => {
    const clock = new FakeClock();
    const server = await start({ clock, presenceGraceMs: 5000 });
    const watcher = await connect('watcher');
    await watcher.subscribe('room');
    const ada1 = await connect('ada');
    await ada1.request({ type: 'presence.enter', channel: 'room' });
    ada1.ws.terminate();
    await waitFor(() => server.stats().connections === 1, 'the server to see the drop');
    const ada2 = await connect('ada');
    await ada2.request({ type: 'presence.enter', channel: 'room' });
    await ada2.request({ type: 'presence.leave', channel: 'room' });
    await watcher.next('presence', (f) => f.event === 'leave');
    expect(presenceEvents(watcher)).toEqual(['join:ada', 'leave:ada']);
  });
  it('heartbeats of a client on two connections with different info announce nothing (fake clock)', async () => {
    const clock = new FakeClock();
    await start({ clock, heartbeatMs: 1000 });
    const { watcher, tab1, tab2 } = await twoTabsEntered();
    await barrier(watcher);
    const before = watcher.frames.length;
    for (let tenth = 0; tenth < 40; tenth++) {
      clock.advance(100); // four heartbeat rounds, each session refreshed once per round
      // Any frame counts as life; the pongs also flush what the server queued before them.
      await Promise.all([barrier(tab1), barrier(tab2), barrier(watcher)]);
    }
    expect(watcher.frames.slice(before).filter((f) => f.type === 'presence')).toEqual([]);
    const late = await connect('late');
    expect((await late.subscribe('room')).presence).toEqual([{ clientId: 'ada', info: { tab: 2 } }]);
  });

  it("leave of a client's newest connection announces update with the other connection's info; subscribe agrees", async () => {
    await start();
    const { watcher, tab2 } = await twoTabsEntered();
    await tab2.request({ type: 'presence.leave', channel: 'room' });
    await barrier(watcher);
    const infos = watcher.frames.filter((f) => f.type === 'presence').map((f) => `${f.event}:${JSON.stringify(f.member.info)}`);
    expect(infos).toEqual(['join:{"tab":1}', 'update:{"tab":2}', 'update:{"tab":1}']);
    const late = await connect('late');
    expect((await late.subscribe('room')).presence).toEqual([{ clientId: 'ada', info: { tab: 1 } }]);
  });

  it('maxChannels bounds presence per connection also when the enters arrive together', async () => {
    await start({ maxChannels: 2 });
    const c = await connect('burst');
    const from = c.frames.length;
    for (let i = 0; i < 10; i++) c.send({ type: 'presence.enter', ref: i + 1, channel: `room${i}` });
    await waitFor(() => c.frames.slice(from).filter((f) => f.ref !== undefined).length === 10, 'ten answers');
    const answers = c.frames.slice(from).filter((f) => f.ref !== undefined);
    expect(answers.filter((f) => f.type === 'presence.ok')).toHaveLength(2);
    expect(answers.filter((f) => f.type === 'error' && f.code === 'TOO_MANY_CHANNELS')).toHaveLength(8);
  });
});

/** A watcher subscribed to `room`, and client `ada` on two connections entered with info {tab: 1}, then {tab: 2}. */
async function twoTabsEntered() {
  const watcher = await connect('watcher');
  await watcher.subscribe('room');
  const tab1 = await connect('ada');
  const tab2 = await connect('ada');
  await tab1.request({ type: 'presence.enter', channel: 'room', info: { tab: 1 } });
  await tab2.request({ type: 'presence.enter', channel: 'room', info: { tab: 2 } });
  return { watcher, tab1, tab2 };
}
