// A minimal Lifeline protocol client over raw `ws`, used as the "no SDK" baseline
// and as a cheap load generator: hello, then sub/pub frames with refs.
import WS from 'ws';

/** Opens `${url}/v1`, completes hello→welcome, resolves the socket. */
export function rawHandshake(url, { timeoutMs = 30_000 } = {}) {
  return new Promise((resolve, reject) => {
    const ws = new WS(`${url}/v1`, { perMessageDeflate: false });
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('handshake timed out'));
    }, timeoutMs);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', v: 1, agent: 'bench-raw' })));
    ws.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    ws.once('message', (data) => {
      clearTimeout(timer);
      const f = JSON.parse(data);
      if (f.type !== 'welcome') reject(new Error(`expected welcome, got ${data}`));
      else resolve(ws);
    });
  });
}

/** Sends `sub` and resolves on the matching `subscribed`. */
export function rawSubscribe(ws, channel, ref = 1) {
  return new Promise((resolve, reject) => {
    const onMessage = (data) => {
      const f = JSON.parse(data);
      if (f.ref !== ref) return;
      ws.off('message', onMessage);
      if (f.type === 'subscribed') resolve(f);
      else reject(new Error(`subscribe failed: ${data}`));
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ type: 'sub', ref, channel }));
  });
}
