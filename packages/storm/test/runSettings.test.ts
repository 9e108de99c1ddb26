import { describe, expect, it } from 'vitest';
import { summarizeRun, type RawRun } from '../src/result';
import { formatTable } from '../src/report/table';
import { toJson } from '../src/report/json';
import { toHtml } from '../src/report/html';
import { publishRateNote, runStorm } from '../src/sim/runStorm';
import { stormVersion } from '../src/version';
import { ZERO_COUNTS } from '../src/metrics/delivery';
import pkg from '../package.json';

// P2-4: the achieved publish rate beside the one asked (per channel). P3-13: a report
// records how it was produced: the run's settings, storm's version and when it started.

const settings = {
  channels: 4, publishRate: 1000, durationMs: 5000, downMs: 2000, initialDelayMs: 500, maxDelayMs: 30_000,
  heartbeatMs: null, target: 'ws://***@127.0.0.1:8080', workers: 0, broker: null, stormVersion: '0.1.0', startedAt: '2026-12-08T00:00:00.000Z',
};

function raw(extra: Partial<RawRun>): RawRun {
  return {
    scenario: 'half-open', strategy: 'full', serverHint: true, clients: 4, admissionRate: null, seed: 1, client: 'core',
    attemptTimesMs: [10], backAtMs: [10, 10, 10, 10], offlineMs: [5, 5, 5, 5], refused: 0,
    channels: ['a', 'b', 'c', 'd'].map((channel) => ({ channel, published: 3900, counts: { ...ZERO_COUNTS } })),
    wallMs: 12_000, notes: [], ...extra,
  };
}

describe('publish rate asked and achieved (per channel)', () => {
  it('reports both, in the result, the table and the JSON', () => {
    const r = summarizeRun(raw({ publishingMs: 10_000, settings }));
    expect(r.publishRate).toBe(1000);
    expect(r.achievedPublishRate).toBe(390);
    expect(formatTable([r])).toMatch(/publish rate \/s per channel\s+1000 asked, 390 achieved/);
    expect(JSON.parse(toJson([r]))).toMatchObject({ publishRate: 1000, achievedPublishRate: 390 });
  });

  it('a result without them (older raw input) says unknown, not 0', () => {
    const r = summarizeRun(raw({}));
    expect(r.publishRate).toBeNull();
    expect(r.achievedPublishRate).toBeNull();
    expect(r.settings).toBeNull();
    expect(formatTable([r])).toMatch(/publish rate \/s per channel\s+—/);
  });

  it('notes a publisher well below the rate asked, and not one that kept up', () => {
    expect(publishRateNote(1000, 15_600, 4, 10_000)).toMatch(/reached 390\/s per channel \(1560\/s over 4 channel\(s\)\) of the 1000\/s per channel asked \(39 %\)/);
    expect(publishRateNote(5, 49 * 4, 4, 10_000)).toBeNull();
  });
});

describe('how a report was produced', () => {
  it('the table, JSON and HTML carry the settings, storm version and start time', () => {
    const r = summarizeRun(raw({ publishingMs: 10_000, settings }));
    const table = formatTable([r]);
    for (const row of [/duration\s+5000 ms/, /backoff base \/ cap\s+500 \/ 30000 ms/, /heartbeat\s+the target's/, /target\s+ws:\/\/\*\*\*@127\.0\.0\.1:8080/, /workers\s+0/, /storm version\s+0\.1\.0/, /started\s+2026-12-08T00:00:00\.000Z/]) {
      expect(table).toMatch(row);
    }
    expect(JSON.parse(toJson([r])).settings).toEqual(settings);
    const html = toHtml([r]);
    expect(html).toContain('@lifeline/storm 0.1.0, started 2026-12-08T00:00:00.000Z');
    expect(html).toContain('<th>down (restart)</th><td>2000 ms</td>');
  });

  // Found by a review: `auto` was recorded as `auto`, not the broker the nodes used.
  it('a run with broker auto records the broker it resolved to', async () => {
    const r = await runStorm({ scenario: 'blip', clients: 10, channels: 2, publishRate: 20, durationMs: 3000, workers: 0, seed: 5, broker: 'auto' });
    const redis = r.notes.some((n) => n.startsWith('broker: Redis'));
    expect(r.settings!.broker).toBe(redis ? 'redis://127.0.0.1:6379' : 'memory');
  }, 60_000);

  it('a run records its resolved settings, the package version and its start', async () => {
    expect(stormVersion()).toBe(pkg.version);
    const before = Date.now();
    const r = await runStorm({ scenario: 'blip', clients: 10, channels: 2, publishRate: 20, durationMs: 3000, workers: 0, seed: 4 });
    expect(r.settings).toMatchObject({ channels: 2, publishRate: 20, durationMs: 3000, downMs: 2000, initialDelayMs: 500, maxDelayMs: 30_000, heartbeatMs: 5000, target: null, workers: 0, broker: 'memory', stormVersion: pkg.version });
    expect(Date.parse(r.settings!.startedAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(r.publishRate).toBe(20);
    // One request at a time per channel on loopback keeps up with 20/s.
    expect(r.achievedPublishRate).toBeGreaterThan(10);
    expect(r.achievedPublishRate).toBeLessThanOrEqual(21);
  }, 60_000);
});
