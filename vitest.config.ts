import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // core-dist runs core's suites against the built (property-mangled) dist; pnpm test builds first.
    projects: ['packages/*', 'test', 'packages/core/vitest.dist.config.ts'],
    // At least two test files at a time. Vitest's default (one per core less one) ran the
    // suite one file at a time on a 2-core CI machine, 8.6 min of mostly waiting on sockets,
    // child processes and Redis; two at a time took 5 min, with the same results.
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
