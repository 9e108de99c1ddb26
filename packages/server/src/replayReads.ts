/**
 * Log reads of replays that one server node runs at once. 120 replays starting together
 * (a reconnect storm: 40 connections × 3 channels) sent 120 page reads to Redis at once,
 * ~12 MB each: Redis answered nothing else for longer than the command timeout, and every
 * client of the node was refused BROKER_UNAVAILABLE for 7.7 s. The rest wait their turn
 * here, in arrival order, costing Redis and the node nothing while they wait.
 */
export const REPLAY_READS_IN_FLIGHT = 8;

/** A counting semaphore, first come first served. */
export class ReadGate {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly limit: number = REPLAY_READS_IN_FLIGHT) {}

  /** Reads running now (for tests and diagnostics). */
  get inFlight(): number {
    return this.running;
  }

  /** Runs `read` once fewer than `limit` others run; its outcome, success or error, is returned as is. */
  async run<T>(read: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((go) => this.waiting.push(go));
    else this.running++;
    try {
      return await read();
    } finally {
      // The slot passes straight to the next in line (running stays counted for it).
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

const gates = new WeakMap<object, ReadGate>();

/** The gate of one server node, keyed by an object that lives as long as the node (its context). */
export function readGateOf(node: object): ReadGate {
  let gate = gates.get(node);
  if (!gate) gates.set(node, (gate = new ReadGate()));
  return gate;
}
