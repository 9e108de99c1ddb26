import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { signToken } from '../src/index';
import { useServer } from './helpers/serverFixture';
import { TestClient } from './helpers/wsClient';

// The docs said "the reference server's frames are <= 64 KiB": a `msg` frame is the stored
// message written out again, with offset, epoch, ts and the publisher's `user` added to
// what the inbound limit checked, and its data as JSON.stringify writes it (`1e20`, 4 bytes
// in, is 21 digits out). A 65,536-byte HTTP publish reached a consumer with
// maxPayloadBytes 65536 as a larger frame: 1009 MESSAGE_TOO_LARGE, again after every
// reconnect. The README now states the bound; this checks the server keeps to it.

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const SECRET = 's'.repeat(40);
const F = 65_536;
const { start, track } = useServer();

/** The bound the README states: `<factor> × maxFrameBytes` + the publisher's `sub` as JSON + `<slack>` bytes. */
function documentedBound(): (subJson: number) => number {
  const m = /at most\s+`(\d+(?:\.\d+)?) × maxFrameBytes`\s+\+\s+the\s+publisher's\s+`sub`\s+as\s+JSON\s+\+\s+(\d+)\s+bytes/.exec(README);
  expect(m, 'the README states the msg frame bound').not.toBeNull();
  return (subJson) => Number(m![1]) * F + subJson + Number(m![2]);
}

/** A client that records the byte length of each `msg` frame it is sent. */
async function msgSizes(url: string, token: string, maxPayload = 64 * F): Promise<{ client: TestClient; sizes: number[] }> {
  const client = track(await TestClient.connect(url, { token }, { maxPayload }));
  const sizes: number[] = [];
  client.ws.on('message', (d: Buffer) => {
    if (d.includes('"type":"msg"')) sizes.push(d.length);
  });
  return { client, sizes };
}

/** `{…, "data": [1e20, 1e20, …]}` as raw text, the array as long as `budget` bytes of frame allow. */
function exponentFrame(head: string, budget: number): string {
  const count = Math.floor((budget - head.length - 10) / 5);
  return `${head},"data":[${Array(count).fill('1e20').join(',')}]}`;
}

describe('msg frames the server sends stay within the bound its README states', () => {
  it('the worst case: a frame of exponent numbers, the longest channel and id, a sub as long as a hello can carry', async () => {
    const bound = documentedBound();
    const server = await start({ authSecret: SECRET });
    // The longest `sub` whose token still fits a hello frame of maxFrameBytes.
    let sub = 'u'.repeat(Math.floor(F * 0.75));
    const helloBytes = (s: string) => JSON.stringify({ type: 'hello', v: 1, token: signToken({ sub: s }, SECRET) }).length;
    while (helloBytes(sub) > F) sub = sub.slice(0, -16);
    const token = signToken({ sub }, SECRET);
    const channel = 'c'.repeat(200);
    const { client: reader, sizes } = await msgSizes(server.url, token);
    await reader.subscribe(channel);
    const writer = track(await TestClient.connect(server.url, { token }));
    const raw = exponentFrame(`{"type":"pub","ref":1,"channel":"${channel}","id":"${'i'.repeat(128)}"`, F);
    expect(Buffer.byteLength(raw)).toBeLessThanOrEqual(F);
    writer.send(raw);
    await writer.next('ack');
    await reader.next('msg');
    const [size] = sizes;
    // Far above the inbound limit (the old "<= 64 KiB" was wrong by this much) and within the stated bound.
    expect(size).toBeGreaterThan(4.3 * F);
    expect(size).toBeLessThanOrEqual(bound(JSON.stringify(sub).length));
  });

  it('an HTTP publish of maxFrameBytes: the same bound', async () => {
    const bound = documentedBound();
    const server = await start({ authSecret: SECRET });
    const sub = 'u'.repeat(200);
    const token = signToken({ sub }, SECRET);
    const channel = 'c'.repeat(200);
    const { client: reader, sizes } = await msgSizes(server.url, token);
    await reader.subscribe(channel);
    const body = exponentFrame(`{"channel":"${channel}","id":"${'i'.repeat(128)}"`, F);
    const res = await fetch(`${server.httpUrl}/v1/publish`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body });
    expect(res.status).toBe(200);
    await reader.next('msg');
    expect(sizes[0]).toBeGreaterThan(4.3 * F);
    expect(sizes[0]).toBeLessThanOrEqual(bound(JSON.stringify(sub).length));
  });

  it('data without exponent numbers never grows when written again (the README: "anything else never grows")', () => {
    expect(README).toMatch(/anything\s+else\s+never\s+grows/);
    const samples = [
      '{"a":1,"a":2}', '[1.0, 2.50, -0, 0.1000000000000000055511151231257827]', '"\\u0041\\u00e9\\ud83d\\ude00\\/"', '"\\u2028 \\u0001 \\ud800"',
      '[123456789012345678901234567890, 12345678901234567890, 9007199254740993]', '{ "nested" : [ { "x" : [ ] , "y" : null } , true , false ] }',
      '"é😀ß"', '[0.0000001, 100, 1234.5678]',
    ];
    for (const text of samples) expect(Buffer.byteLength(JSON.stringify(JSON.parse(text)))).toBeLessThanOrEqual(Buffer.byteLength(text));
    // An exponent is what grows: `1e20` (4 bytes) is written as its 21 digits.
    expect(JSON.stringify(JSON.parse('[1e20]'))).toBe(`[1${'0'.repeat(20)}]`);
  });
});
