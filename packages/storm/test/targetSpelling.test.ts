import { describe, expect, it } from 'vitest';
import { stormRefusal } from './helpers';
import { parseEndpoint } from '../src/proxy/address';
import { resolveOptions } from '../src/sim/options';
import { summarizeRun, type RawRun } from '../src/result';
import { formatTable } from '../src/report/table';
import { toJson } from '../src/report/json';
import { ZERO_COUNTS } from '../src/metrics/delivery';

// P3-12: `--target ftp://…` was accepted; `ws://127.0.0.1:99999` said "not a URL" instead of
// naming the port; with no attempts, `peak ÷ capacity` printed 0 beside peak ÷ mean's n/a.

const refusal = stormRefusal;

describe('target spelling', () => {
  it('refuses a scheme storm does not speak', () => {
    const e = refusal(() => parseEndpoint('ftp://127.0.0.1:21'));
    expect(e.code).toBe('BAD_OPTION');
    expect(e.message).toBe('target must be ws://, http:// or host:port, got "ftp://127.0.0.1:21"');
    expect(refusal(() => resolveOptions({ scenario: 'blip', target: 'ftp://127.0.0.1:21' })).code).toBe('BAD_OPTION');
    expect(parseEndpoint('http://127.0.0.1:8080')).toEqual({ host: '127.0.0.1', port: 8080 });
  });

  it('names a port out of range, in a URL and in host:port', () => {
    expect(refusal(() => parseEndpoint('ws://127.0.0.1:99999')).message).toBe('bad port 99999 in "ws://127.0.0.1:99999": a port is 1 to 65535');
    expect(refusal(() => parseEndpoint('ws://u:p@127.0.0.1:70000/v1')).message).toBe('bad port 70000 in "ws://***@127.0.0.1:70000/v1": a port is 1 to 65535');
    expect(refusal(() => parseEndpoint('127.0.0.1:70000')).message).toBe('bad port 70000 in "127.0.0.1:70000": a port is 1 to 65535');
    expect(refusal(() => parseEndpoint('127.0.0.1:0')).message).toMatch(/^bad port 0 /);
  });
});

describe('peak ÷ capacity with no attempts after the fault', () => {
  const quiet: RawRun = {
    scenario: 'half-open', strategy: 'full', serverHint: true, clients: 3, admissionRate: 100, seed: 1, client: 'test',
    attemptTimesMs: [-900], backAtMs: [null, null, null], offlineMs: [], refused: 0,
    channels: [{ channel: 'c0', published: 4, counts: { ...ZERO_COUNTS } }], wallMs: 1500, notes: [],
  };

  it('is n/a in the table and null in the JSON, as peak ÷ mean', () => {
    const r = summarizeRun(quiet);
    expect(r.peakOverCapacity).toBeNull();
    expect(JSON.parse(toJson([r])).peakOverCapacity).toBeNull();
    expect(formatTable([r])).toMatch(/^peak ÷ capacity\s+n\/a \(no attempts\)$/m);
    // Unknown capacity (an external target without --admission-rate) stays —.
    expect(formatTable([summarizeRun({ ...quiet, admissionRate: null })])).toMatch(/^peak ÷ capacity\s+—$/m);
  });
});
