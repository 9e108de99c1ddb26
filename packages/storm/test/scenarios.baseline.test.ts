import { describe, expect, it } from 'vitest';
import { runCompare } from '../src/sim/compare';
import { expectIntact } from './stormRun';

describe('strategies side by side', () => {
  it('blip: `none` stampedes in one burst, `full` jitter spreads the same fleet', async () => {
    const [full, none] = await runCompare(
      { scenario: 'blip', clients: 200, channels: 2, publishRate: 5, admissionRate: 5000, workers: 0, client: 'core', seed: 3 },
      [
        { strategy: 'full', serverHint: true },
        { strategy: 'none', serverHint: true },
      ],
    );
    expectIntact(full!);
    expectIntact(none!);
    expect(none!.strategy).toBe('none');
    // 200 clients waiting exactly initialDelayMs: most attempts land in a couple of bins
    expect(none!.peakToMean).toBeGreaterThan(full!.peakToMean!);
    expect(none!.peak).toBeGreaterThan(full!.peak);
  }, 120_000);
});
