// Two reference servers, each with its own memory broker (two logs, two epochs: a
// misconfigured fleet). A subscriber moved A -> B -> A (each move a dropped connection, the
// next attempt going to the other server) is handed every message of both logs exactly
// once: back on A, A's retained tail (which the server replays after `recovered: false`)
// holds what it had before it left, and none of that is handed again.
import { createServer, type LifelineServer } from '@lifeline/server';
import { createClient, type ClientOptions, type GapEvent, type LifelineClient, type Message } from '@lifeline/core';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from './helpers';

const servers: LifelineServer[] = [];
const clients: LifelineClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const start = async () => {
  const s = await createServer({ port: 0, host: '127.0.0.1', faults: true });
  servers.push(s);
  return s;
};

async function publish(server: LifelineServer, data: string): Promise<void> {
  const res = await fetch(`${server.httpUrl}/v1/publish`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ channel: 'room', data }) });
  expect(res.status).toBe(200);
}

describe('a subscriber moved between servers of different memory brokers', () => {
  it('A -> B -> A: every message of both logs is handed exactly once, and each move is one gap', async () => {
    const a = await start();
    const b = await start();
    const options: ClientOptions = { url: `${a.url}/v1`, lifecycle: false, reconnect: { initialDelayMs: 20, maxDelayMs: 300 } };
    // Kept as given: `url` is read at each attempt (core README, several servers).
    const sub = createClient(options);
    clients.push(sub);
    const ch = sub.channel<string>('room');
    const got: Message<string>[] = [];
    const gaps: GapEvent[] = [];
    ch.on('gap', (g) => gaps.push(g));
    ch.subscribe((m) => void got.push(m));
    await waitFor(() => ch.getSnapshot().state === 'subscribed', 'subscribed on A');

    for (const d of ['a1', 'a2', 'a3']) await publish(a, d);
    await waitFor(() => got.length === 3, 'a1..a3');
    const onA = ch.position!;

    // To B (another log, another epoch), while A gets more.
    options.url = `${b.url}/v1`;
    await publish(b, 'b1');
    a.faults!.dropAll();
    await waitFor(() => got.some((m) => m.data === 'b1') && ch.getSnapshot().state === 'subscribed', 'b1 on B');
    await publish(a, 'a4');
    await publish(b, 'b2');
    await waitFor(() => got.some((m) => m.data === 'b2'), 'b2');

    // Back to A: its log holds a1..a4, of which a1..a3 were handed already.
    options.url = `${a.url}/v1`;
    b.faults!.dropAll();
    await waitFor(() => got.some((m) => m.data === 'a4') && ch.getSnapshot().state === 'subscribed', 'a4 on A');
    await publish(a, 'a5');
    await waitFor(() => got.some((m) => m.data === 'a5'), 'a5');
    await new Promise((r) => setTimeout(r, 100)); // anything handed twice would show up now

    expect(got.map((m) => m.data)).toEqual(['a1', 'a2', 'a3', 'b1', 'b2', 'a4', 'a5']);
    expect(new Set(got.map((m) => `${m.epoch}#${m.offset}`)).size).toBe(got.length);
    expect(gaps).toHaveLength(2);
    const epochB = got[3]!.epoch;
    expect(epochB).not.toBe(onA.epoch);
    expect(gaps[0]).toMatchObject({ from: onA, to: { offset: 0, epoch: epochB }, reason: 'epoch-changed' });
    expect(gaps[1]).toMatchObject({ from: { offset: 2, epoch: epochB }, to: onA, reason: 'epoch-changed' });
    expect(ch.position).toEqual({ offset: 5, epoch: onA.epoch });
  });
});
