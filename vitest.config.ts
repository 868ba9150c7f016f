import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'adapters/sdk/test/**/*.test.ts'],
    testTimeout: 60_000,
    setupFiles: ['test/setup/fast-check.ts'],
    hookTimeout: 180_000,
    // Integration files each build their own database; two cores, so keep the pool small.
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
  },
});
