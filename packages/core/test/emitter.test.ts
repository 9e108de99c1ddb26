import { describe, expect, it, vi } from 'vitest';
import { Emitter } from '../src/emitter';

describe('Emitter', () => {
  it('on/off/once/listenerCount/removeAllListeners', () => {
    const e = new Emitter();
    const a = vi.fn();
    const b = vi.fn();
    e.on('x', a).once('x', b);
    expect(e.listenerCount('x')).toBe(2);
    expect(e.emit('x', 1, 2)).toBe(true);
    e.emit('x', 3);
    expect(a.mock.calls).toEqual([[1, 2], [3]]);
    expect(b.mock.calls).toEqual([[1, 2]]);
    e.off('x', a);
    expect(e.emit('x')).toBe(false);
    const c = vi.fn();
    e.once('y', c).off('y', c); // a once-listener is removable by its original function
    e.emit('y');
    expect(c).not.toHaveBeenCalled();
    e.on('z', a).removeAllListeners();
    expect(e.listenerCount('z')).toBe(0);
  });

  it('a throwing listener does not stop the others (and its error still surfaces)', () => {
    vi.useFakeTimers();
    try {
      const e = new Emitter();
      const after = vi.fn();
      e.on('x', () => {
        throw new Error('listener bug');
      });
      e.on('x', after);
      e.emit('x');
      expect(after).toHaveBeenCalled();
      expect(() => vi.runAllTimers()).toThrow('listener bug');
    } finally {
      vi.useRealTimers();
    }
  });
});
