// The chat's settings come from the address bar: what a user types there must not break it.
import { describe, expect, it } from 'vitest';
import { readConfig } from '../../examples/react-chat/src/config';

describe('react-chat query parameters', () => {
  it('reads server, room, name and a fixed retry delay', () => {
    expect(readConfig('?server=ws://127.0.0.1:9&room=r&name=ada&retryMs=3000', 'h')).toEqual({ server: 'ws://127.0.0.1:9', room: 'r', name: 'ada', retryMs: 3000 });
    expect(readConfig('', 'example.test')).toMatchObject({ server: 'ws://example.test:8080', room: 'lobby', retryMs: null });
  });

  it('a retryMs that is not a delay falls back to the default retries instead of a NaN delay (a retry loop)', () => {
    for (const bad of ['abc', '-5', '', '0', 'Infinity']) expect(readConfig(`?retryMs=${bad}`, 'h').retryMs, bad).toBeNull();
    expect(readConfig('?retryMs=1', 'h').retryMs).toBe(1);
  });
});
