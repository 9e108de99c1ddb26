// POST /v1/publish reads the Authorization scheme case-insensitively, as HTTP defines it.
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, signToken, type LifelineServer } from '../src/index';

const SECRET = 'bearer-secret';
let server: LifelineServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('HTTP publish Authorization header', () => {
  it('accepts the Bearer scheme in any case (RFC 9110: schemes are case-insensitive); bad tokens stay 401', async () => {
    server = await createServer({ authSecret: SECRET });
    const token = signToken({ sub: 'backend' }, SECRET);
    const post = (authorization: string, id: string) =>
      fetch(`${server!.httpUrl}/v1/publish`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization },
        body: JSON.stringify({ channel: 'orders', data: id, id }),
      });
    let offset = 0;
    for (const [i, scheme] of ['Bearer', 'bearer', 'BEARER'].entries()) {
      const res = await post(`${scheme} ${token}`, `o-${i}`);
      expect({ scheme, status: res.status }).toEqual({ scheme, status: 200 });
      expect(((await res.json()) as { offset: number }).offset).toBe(++offset);
    }
    expect((await post(`bearer ${token}x`, 'bad-1')).status).toBe(401);
    expect((await post(`Basic ${token}`, 'bad-2')).status).toBe(401);
    expect((await post(token, 'bad-3')).status).toBe(401);
  });
});
