import { Timed } from './clock';

type Listener = ((...args: any[]) => void) & { _f?: Listener };

/**
 * A minimal event emitter (on/off/once/emit/removeAllListeners/listenerCount).
 * Listeners are called in registration order; one that throws does not stop the others
 * from running (its error is rethrown asynchronously, like a DOM event listener's).
 * The listener table is created on the first `on`: most clients and channels never get one.
 */
export class Emitter extends Timed {
  _l?: Record<string, Listener[]>;

  on(event: string, fn: Listener): this {
    const l = (this._l ||= {});
    (l[event] ||= []).push(fn);
    return this;
  }

  off(event: string, fn?: Listener): this {
    const ls = this._l?.[event];
    if (ls) this._l![event] = fn ? ls.filter((l) => l !== fn && l._f !== fn) : [];
    return this;
  }

  once(event: string, fn: Listener): this {
    const w: Listener = (...args: unknown[]) => {
      this.off(event, w);
      fn(...args);
    };
    w._f = fn;
    return this.on(event, w);
  }

  emit(event: string, ...args: unknown[]): boolean {
    const ls = this._l?.[event];
    if (!ls?.length) return false;
    tell(ls, (l) => l(...args));
    return true;
  }

  removeAllListeners(event?: string): this {
    if (event === undefined) this._l = undefined;
    else if (this._l) this._l[event] = [];
    return this;
  }

  listenerCount(event: string): number {
    return this._l?.[event]?.length ?? 0;
  }
}

/**
 * Runs `call` on each of a copy of `ls` (one added meanwhile waits for the next round).
 * One that throws does not stop the others, and its error is rethrown asynchronously,
 * never to the caller: that is a socket's handler or a timer, left half way by a throw
 * (snapshot listeners were called bare: a throwing one stopped a welcome, or a retry
 * unarmed).
 */
export function tell<L>(ls: Iterable<L>, call: (l: L) => void): void {
  for (const l of [...ls]) {
    try {
      call(l);
    } catch (e) {
      setTimeout(() => {
        throw e;
      });
    }
  }
}
