import { defineConfig } from 'vitest/config';

// `npm test -w adapters/sdk`: the SDK's own tests alone (the root suite runs them too, once).
export default defineConfig({
  test: { root: import.meta.dirname, include: ['test/**/*.test.ts'] },
});
