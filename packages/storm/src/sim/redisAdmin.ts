import { connect } from 'node:net';
import { StormError } from '../errors';
import { isLoopbackHost } from '../proxy/address';

type Reply = string | number | null | Reply[] | Error;

/**
 * A few Redis commands over raw RESP, for what storm itself needs around the
 * server's Redis broker: is Redis there, and delete the keys a run created.
 * (Not a client library: one connection, one command at a time, loopback only.)
 */
export async function redisCommands<T>(url: string, fn: (cmd: (...args: string[]) => Promise<Reply>) => Promise<T>, timeoutMs = 2000): Promise<T> {
  const u = new URL(url);
  if (!isLoopbackHost(u.hostname.replace(/^\[|\]$/g, ''))) throw new StormError('NON_LOOPBACK', `refusing non-loopback Redis ${u.hostname}`);
  const socket = connect({ host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 6379) });
  socket.setTimeout(timeoutMs, () => socket.destroy(new Error('redis timeout')));
  let buf = Buffer.alloc(0);
  let waiting: { resolve: (r: Reply) => void; reject: (e: Error) => void } | null = null;
  socket.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    const parsed = parse(buf, 0);
    if (parsed && waiting) {
      buf = buf.subarray(parsed.end);
      const w = waiting;
      waiting = null;
      w.resolve(parsed.value);
    }
  });
  const failed = new Promise<never>((_, reject) => socket.once('error', reject));
  failed.catch(() => {});
  const cmd = (...args: string[]) =>
    Promise.race([
      failed,
      new Promise<Reply>((resolve, reject) => {
        waiting = { resolve, reject };
        socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
      }),
    ]);
  try {
    await Promise.race([failed, new Promise((r) => socket.once('connect', r))]);
    return await fn(cmd);
  } finally {
    socket.destroy();
  }
}

function parse(b: Buffer, at: number): { value: Reply; end: number } | null {
  const eol = b.indexOf('\r\n', at);
  if (eol < 0) return null;
  const head = b.toString('utf8', at + 1, eol);
  const next = eol + 2;
  switch (String.fromCharCode(b[at]!)) {
    case '+':
      return { value: head, end: next };
    case '-':
      return { value: new Error(head), end: next };
    case ':':
      return { value: Number(head), end: next };
    case '$': {
      const n = Number(head);
      if (n < 0) return { value: null, end: next };
      if (b.length < next + n + 2) return null;
      return { value: b.toString('utf8', next, next + n), end: next + n + 2 };
    }
    case '*': {
      const n = Number(head);
      const items: Reply[] = [];
      let pos = next;
      for (let i = 0; i < n; i++) {
        const item = parse(b, pos);
        if (!item) return null;
        items.push(item.value);
        pos = item.end;
      }
      return { value: items, end: pos };
    }
    default:
      return { value: new Error(`unexpected RESP type ${head}`), end: next };
  }
}

/** True when Redis answers PING at `url` within the timeout. */
export async function redisAnswers(url: string, timeoutMs = 1000): Promise<boolean> {
  try {
    return (await redisCommands(url, (cmd) => cmd('PING'), timeoutMs)) === 'PONG';
  } catch {
    return false;
  }
}

/** Deletes every key starting with `prefix` (SCAN + UNLINK, never FLUSH*). Returns how many. */
export async function deleteKeysWithPrefix(url: string, prefix: string): Promise<number> {
  if (prefix.length < 8) throw new StormError('BAD_OPTION', `refusing to delete by the short prefix "${prefix}"`);
  return redisCommands(url, async (cmd) => {
    let cursor = '0';
    let deleted = 0;
    do {
      const reply = (await cmd('SCAN', cursor, 'MATCH', `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`, 'COUNT', '1000')) as [string, string[]];
      cursor = reply[0];
      if (reply[1].length) deleted += (await cmd('UNLINK', ...reply[1])) as number;
    } while (cursor !== '0');
    return deleted;
  }, 10_000);
}
