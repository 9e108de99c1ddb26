type Listener = (...args: any[]) => void;

/**
 * A minimal event emitter (on/off/once/emit/removeAllListeners/listenerCount).
 * Listeners are called in registration order; one that throws does not stop the others
 * from running (its error is rethrown asynchronously, like a DOM event listener's).
 */
export class Emitter {
  private declare _l: Record<string, Listener[]>;

  constructor() {
    this._l = {};
  }

  on(event: string, fn: Listener): this {
    (this._l[event] ||= []).push(fn);
    return this;
  }

  off(event: string, fn?: Listener): this {
    const ls = this._l[event];
    if (ls) this._l[event] = fn ? ls.filter((l) => l !== fn && (l as { _f?: Listener })._f !== fn) : [];
    return this;
  }

  once(event: string, fn: Listener): this {
    const w = (...args: unknown[]) => {
      this.off(event, w);
      fn(...args);
    };
    w._f = fn;
    return this.on(event, w);
  }

  emit(event: string, ...args: unknown[]): boolean {
    const ls = this._l[event];
    if (!ls || !ls.length) return false;
    for (const l of [...ls]) {
      try {
        l(...args);
      } catch (e) {
        setTimeout(() => {
          throw e;
        });
      }
    }
    return true;
  }

  removeAllListeners(event?: string): this {
    if (event === undefined) this._l = {};
    else delete this._l[event];
    return this;
  }

  listenerCount(event: string): number {
    return this._l[event]?.length ?? 0;
  }
}
