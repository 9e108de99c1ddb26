// fileCheckpoint() accepted `{ lok: false }` (no unknown-key check, the default lock kept
// without a word), turned fsync off for `{ fsync: 0 }` and kept it on for `{ fsync: 'false' }`.
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { fileCheckpoint, isLifelineNodeError, type FileCheckpointOptions } from '../src/index';

const path = join(tmpdir(), 'lifeline-never-written.json'); // nothing is read or written at creation

function refusal(options: unknown): { code?: string; message: string; details?: unknown } {
  try {
    fileCheckpoint(path, options as FileCheckpointOptions);
  } catch (error) {
    if (!isLifelineNodeError(error)) throw error;
    return { code: error.code, message: error.message, details: error.details };
  }
  throw new Error(`accepted ${JSON.stringify(options)}`);
}

describe('fileCheckpoint() options', () => {
  it('refuses an unknown key, naming it and the closest known one', () => {
    expect(refusal({ lok: false })).toEqual({
      code: 'BAD_OPTION',
      message: 'fileCheckpoint() has no option "lok" (did you mean lock?); its options: fsync, lock',
      details: { key: 'lok', suggestion: 'lock' },
    });
    expect(refusal({ fsync: true, durable: true })).toMatchObject({ code: 'BAD_OPTION', details: { key: 'durable' } });
  });

  it.each([[0], [1], ['false'], ['true'], [null], [{}]])('refuses fsync: %j (not a boolean)', (fsync) => {
    const r = refusal({ fsync });
    expect(r.code).toBe('BAD_OPTION');
    expect(r.message).toBe(`fileCheckpoint() fsync must be a boolean (got ${typeof fsync === 'string' ? `"${fsync}"` : JSON.stringify(fsync)})`);
  });

  it('accepts booleans, undefined and the lock forms', () => {
    for (const options of [{}, { fsync: true }, { fsync: false }, { fsync: undefined }, { lock: false }, { lock: { waitMs: 10 } }]) {
      expect(() => fileCheckpoint(path, options)).not.toThrow();
    }
  });
});
