import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { summarizeRun, type RawRun } from '../src/result';
import { formatTable } from '../src/report/table';
import { toJson } from '../src/report/json';
import { toHtml } from '../src/report/html';
import { formatNotes, groupNotes } from '../src/report/notes';
import { createProgress } from '../src/report/progress';
import { ZERO_COUNTS } from '../src/metrics/delivery';

function raw(over: Partial<RawRun> = {}): RawRun {
  return {
    scenario: 'restart', strategy: 'full', serverHint: false, clients: 4, admissionRate: 100, seed: 1, client: 'test',
    attemptTimesMs: [-50, 0, 10, 150, 160, 170, 420],
    backAtMs: [0, 120, 200, 450],
    refused: 2,
    channels: [{ channel: 'c0', published: 3, counts: { ...ZERO_COUNTS, expected: 12, delivered: 12 } }],
    wallMs: 1234, notes: ['memory broker'],
    ...over,
  };
}

describe('run summary', () => {
  it('computes the headline metrics from raw observations', () => {
    const r = summarizeRun(raw());
    expect(r.attemptsPerBin).toEqual([2, 3, 0, 0, 1]);
    expect(r.attempts).toBe(6);
    expect(r.attemptsPerClient).toBe(1.5);
    expect(r.peak).toBe(3);
    expect(r.peakToMean).toBe(5); // 3 / (6 attempts / 10 bins: the mean spans at least one second)
    expect(r.peakPerSec).toBe(30); // 3 in one 100 ms bin
    expect(r.peakOverCapacity).toBe(0.3); // 100/s → 10 per bin
    expect([r.t50Ms, r.t99Ms, r.t100Ms]).toEqual([120, 450, 450]);
    expect(r.published).toBe(3);
  });

  it('summarises the server\'s accepted handshakes when they were sampled, null when not', () => {
    const r = summarizeRun(raw({ serverAccepts: [{ atMs: 0, total: 0 }, { atMs: 500, total: 3 }, { atMs: 1500, total: 4 }] }));
    expect([r.serverAccepted, r.serverAcceptedPeakPerSec]).toEqual([4, 3]);
    expect(formatTable([r])).toMatch(/server accepted \(peak \/s\)\s+4 \(3\/s\)/);
    const ext = summarizeRun(raw({ serverAccepts: null }));
    expect([ext.serverAccepted, ext.serverAcceptedPeakPerSec]).toEqual([null, null]);
    expect(formatTable([ext])).toMatch(/server accepted \(peak \/s\)\s+—/);
    expect(JSON.parse(toJson([ext]))).toMatchObject({ serverAccepted: null, serverAcceptedPeakPerSec: null });
  });

  it('keeps messages a client not back never got apart from lost ones', () => {
    const r = summarizeRun(raw({
      backAtMs: [0, 120, 200, null],
      channels: [
        { channel: 'c0', published: 3, counts: { ...ZERO_COUNTS, expected: 6, delivered: 5, lost: 1 } },
        { channel: 'c1', published: 3, counts: { ...ZERO_COUNTS, expected: 6, delivered: 4, unrecovered: 1, undelivered: 2 } },
      ],
    }));
    expect([r.lost, r.undelivered, r.notBack]).toEqual([1, 2, 1]);
    expect(r.perChannel[1]).toMatchObject({ channel: 'c1', lost: 0, unrecovered: 1, undelivered: 2 });
    const text = formatTable([r]);
    expect(text).toMatch(/^lost\s+1$/m);
    expect(text).toMatch(/^undelivered \(clients not back\)\s+2$/m);
    expect(JSON.parse(toJson([r]))).toMatchObject({ lost: 1, undelivered: 2, notBack: 1 });
    expect(toHtml([r])).toContain('<th>c1</th><td>3</td><td>6</td><td>4</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>1</td><td>2</td>');
  });

  it('measures the wave against every node that admits at once (rolling: two nodes, twice the capacity)', () => {
    const r = summarizeRun(raw({ scenario: 'rolling', nodes: 2 }));
    expect(r.nodes).toBe(2);
    expect(r.peakOverCapacity).toBe(0.15); // 3 ÷ (2 nodes × 100/s × 0.1 s)
    expect(formatTable([r])).toMatch(/admission rate \/s\s+100 × 2 nodes/);
    expect(summarizeRun(raw()).nodes).toBe(1);
  });
});

describe('report output', () => {
  const a = summarizeRun(raw());
  const b = summarizeRun(raw({ strategy: 'none', attemptTimesMs: [0, 0, 0, 0, 500] }));

  it('JSON carries the documented top-level fields; compare writes an array', () => {
    const one = JSON.parse(toJson([a]));
    for (const f of ['scenario', 'strategy', 'clients', 'admissionRate', 'peakToMean', 'peakOverCapacity', 'peakPerSec', 'attemptsPerClient', 't50Ms', 't99Ms', 't100Ms', 'refused', 'published', 'lost', 'duplicated', 'reordered', 'gaps']) {
      expect(one).toHaveProperty(f);
    }
    const many = JSON.parse(toJson([a, b]));
    expect(many.map((r: { strategy: string }) => r.strategy)).toEqual(['full', 'none']);
  });

  it('the table puts runs side by side', () => {
    const text = formatTable([a, b]);
    const strategyLine = text.split('\n').find((l) => l.startsWith('strategy'))!;
    expect(strategyLine).toMatch(/full\s+none$/);
    expect(text).toMatch(/peak ÷ mean\s+5\s+8\b/);
    expect(text).toMatch(/peak rate \/s\s+30\s+40\b/);
  });

  it('HTML is self-contained with one SVG line per strategy', () => {
    const html = toHtml([a, b]);
    expect(html).toContain('<svg');
    expect(html.match(/<polyline/g)).toHaveLength(2);
    expect(html).not.toMatch(/<script|<link|src=|href=/);
    expect(html).toContain('admission capacity');
    expect(html).toContain('<th>peak rate /s</th><td>30</td><td>40</td>');
  });
});

describe('notes of a comparison', () => {
  const a = summarizeRun(raw({ notes: ['memory broker', 'timeline: server killed +20 ms', 'socket closes seen by clients, by code: 1006×4'] }));
  const b = summarizeRun(raw({ strategy: 'none', notes: ['memory broker', 'timeline: server killed +31 ms', 'socket closes seen by clients, by code: 1006×4'] }));

  it('says which run each note belongs to, and keeps a note two runs share word for word', () => {
    expect(groupNotes([a, b])).toEqual([
      { run: null, notes: ['memory broker', 'socket closes seen by clients, by code: 1006×4'] },
      { run: 'full (no hint)', notes: ['timeline: server killed +20 ms'] },
      { run: 'none (no hint)', notes: ['timeline: server killed +31 ms'] },
    ]);
    const text = formatNotes([a, b]);
    expect(text).toMatch(/ {2}full \(no hint\):\n {4}· timeline: server killed \+20 ms\n {2}none \(no hint\):\n {4}· timeline: server killed \+31 ms/);
    const html = toHtml([a, b]);
    expect(html).toMatch(/<h3>full \(no hint\)<\/h3><ul><li>timeline: server killed \+20 ms<\/li><\/ul>/);
    expect(html).toMatch(/<h3>none \(no hint\)<\/h3><ul><li>timeline: server killed \+31 ms<\/li><\/ul>/);
  });

  it('labels the hinted and the unhinted run of one strategy apart (a bare `full:` next to `full + hint:` said neither)', () => {
    const hinted = summarizeRun(raw({ serverHint: true, notes: ['memory broker', 'timeline: drain +5 ms'] }));
    const text = formatNotes([hinted, a]);
    expect(text).toContain('  full + hint:\n    · timeline: drain +5 ms');
    expect(text).toContain('  full (no hint):\n    · timeline: server killed +20 ms');
    expect(text).not.toMatch(/^ {2}full:$/m);
  });

  it('a single run lists its notes as they are', () => {
    expect(formatNotes([a])).toBe('  · memory broker\n  · timeline: server killed +20 ms\n  · socket closes seen by clients, by code: 1006×4');
  });
});

describe('progress bar', () => {
  function sink(isTTY: boolean) {
    let out = '';
    const s = new Writable({ write(chunk, _e, cb) { out += chunk; cb(); } }) as unknown as NodeJS.WriteStream;
    (s as { isTTY?: boolean }).isTTY = isTTY;
    return { s, out: () => out };
  }
  it('draws only on a TTY', () => {
    const tty = sink(true);
    const p = createProgress(tty.s);
    p.update(0.5, 'storm');
    expect(tty.out()).toContain('50% storm');
    const pipe = sink(false);
    createProgress(pipe.s).update(0.5, 'storm');
    expect(pipe.out()).toBe('');
  });
});
