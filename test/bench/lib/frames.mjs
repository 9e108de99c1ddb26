// Pre-built server→client WebSocket frames, so a bench server spends (almost) no
// CPU per message and the client under test is the bottleneck.

/** Every benchmark message is exactly this many bytes of JSON text. */
export const MESSAGE_BYTES = 128;
export const BENCH_CHANNEL = 'bench';
export const BENCH_EPOCH = 'e1';

/**
 * The Lifeline `msg` frame for `offset`, padded to exactly MESSAGE_BYTES bytes.
 * Raw ws, partysocket and reconnecting-websocket receive these same bytes.
 */
export function lifelineMessage(offset) {
  const head = `{"type":"msg","channel":"${BENCH_CHANNEL}","offset":${offset},"epoch":"${BENCH_EPOCH}","data":{"p":"`;
  const tail = '"}}';
  const pad = MESSAGE_BYTES - head.length - tail.length;
  if (pad < 0) throw new Error(`offset ${offset} does not fit in ${MESSAGE_BYTES} bytes`);
  return head + 'x'.repeat(pad) + tail;
}

/** A socket.io event packet (engine.io "4" message + socket.io "2" event) carrying the same JSON. */
export function socketIoMessage(offset) {
  return `42["msg",${lifelineMessage(offset)}]`;
}

/** Header of an unmasked, final, text WebSocket frame (server→client) of `length` bytes. */
function textFrameHeader(length) {
  if (length < 126) return Buffer.from([0x81, length]);
  if (length < 65536) return Buffer.from([0x81, 126, length >> 8, length & 0xff]);
  throw new Error('bench frames are small');
}

/**
 * Concatenates the frames for offsets `from..to` (inclusive) into one buffer of raw
 * WebSocket wire bytes, ready to be written to an upgraded socket.
 */
export function buildFrames(from, to, payloadOf) {
  const parts = [];
  for (let o = from; o <= to; o++) {
    const payload = Buffer.from(payloadOf(o), 'utf8');
    parts.push(textFrameHeader(payload.length), payload);
  }
  return Buffer.concat(parts);
}

/**
 * Writes `wire` to a raw TCP socket in 256 KB slices, waiting for 'drain' whenever
 * the kernel buffer is full. Whole frames were already framed, so slice edges need
 * not align with frame edges. Resolves when everything is handed to the kernel.
 */
export async function blast(socket, wire, sliceBytes = 256 * 1024) {
  for (let at = 0; at < wire.length; at += sliceBytes) {
    if (socket.destroyed) return;
    const ok = socket.write(wire.subarray(at, Math.min(wire.length, at + sliceBytes)));
    if (!ok) await new Promise((r) => socket.once('drain', r));
  }
}
