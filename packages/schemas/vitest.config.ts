import { defineConfig } from 'vitest/config';

// `npm test -w packages/schemas`: this package's tests alone (the root suite runs them too).
export default defineConfig({
  test: { root: import.meta.dirname, include: ['test/**/*.test.ts'] },
});
