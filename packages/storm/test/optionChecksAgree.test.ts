import { describe, expect, it } from 'vitest';
import { isStormError, type StormErrorCode } from '../src/errors';
import { resolveOptions, type StormOptions } from '../src/sim/options';
import { runStorm } from '../src/sim/runStorm';

// P3-10: resolveOptions checks every field as runStorm does (the README says so). It passed
// `target: ''` that runStorm refused; both took `serverHint: 'off'` (a string) and ran with
// the hint ON; an unknown key (`clientz: 5`) was ignored in silence.

async function refusedBoth(o: unknown): Promise<{ code: StormErrorCode; message: string }> {
  let sync: unknown = null;
  try {
    resolveOptions(o as StormOptions);
  } catch (e) {
    sync = e;
  }
  let run: unknown = null;
  try {
    await runStorm(o as StormOptions);
  } catch (e) {
    run = e;
  }
  expect(isStormError(sync), `resolveOptions: ${String(sync)}`).toBe(true);
  expect(isStormError(run), `runStorm: ${String(run)}`).toBe(true);
  const a = sync as { code: StormErrorCode; message: string };
  const b = run as { code: StormErrorCode; message: string };
  expect({ code: b.code, message: b.message }).toEqual({ code: a.code, message: a.message });
  return a;
}

describe('resolveOptions and runStorm refuse the same options, the same way', () => {
  it('serverHint must be a boolean', async () => {
    const e = await refusedBoth({ scenario: 'blip', serverHint: 'off' });
    expect(e).toMatchObject({ code: 'BAD_OPTION', message: 'serverHint must be true or false, got "off"' });
  });

  it("target '' is refused by both", async () => {
    const e = await refusedBoth({ scenario: 'blip', target: '' });
    expect(e.code).toBe('BAD_OPTION');
    expect(e.message).toMatch(/^target must be/);
  });

  it('a target storm cannot use is refused by both (non-loopback, a scenario that needs the embedded server)', async () => {
    expect((await refusedBoth({ scenario: 'blip', target: 'ws://10.0.0.1:8080' })).code).toBe('NON_LOOPBACK');
    expect((await refusedBoth({ scenario: 'restart', target: 'ws://127.0.0.1:8080' })).code).toBe('UNSUPPORTED_SCENARIO');
  });

  it('an unknown key is refused with the nearest known one', async () => {
    const e = await refusedBoth({ scenario: 'blip', clientz: 5 });
    expect(e).toMatchObject({ code: 'BAD_OPTION', message: 'unknown option "clientz" (did you mean clients?)' });
    expect((await refusedBoth({ scenario: 'blip', publishrate: 5 })).message).toBe('unknown option "publishrate" (did you mean publishRate?)');
    expect((await refusedBoth({ scenario: 'blip', colour: 'red' })).message).toBe('unknown option "colour"');
  });

  it('undefined values and every known key still pass', () => {
    expect(resolveOptions({ scenario: 'blip', serverHint: false, target: undefined, clients: undefined }).serverHint).toBe(false);
  });
});
