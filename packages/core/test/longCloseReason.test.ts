// close({ code, reason }) with a reason over 123 UTF-8 bytes: `ws` (and browsers) refuse
// it, and the client then closed the socket with no code at all, so the server saw 1005
// and not the code the app chose (4000 "do not come back", a drain's 1001).
import { describe, expect, it } from 'vitest';
import { hostile, welcome } from './support/hostileServer';

describe('close() with a reason the socket refuses', () => {
  it('still sends the code over a real `ws` socket (the reason alone is dropped)', async () => {
    const seen: Array<{ code: number; reason: string }> = [];
    const h = await hostile((sock) => {
      sock.on('message', () => sock.send(welcome()));
      sock.on('close', (code, reason) => seen.push({ code, reason: String(reason) }));
    });
    await h.until(() => h.client.state === 'open', 'the client to open');
    const closing = h.client.close({ code: 4000, reason: 'é'.repeat(62) }); // 124 bytes
    await h.until(() => seen.length === 1, 'the server to see the close');
    h.clock.advance(1000);
    await closing;
    expect(seen).toEqual([{ code: 4000, reason: '' }]);
    await h.stop();
  });
});
