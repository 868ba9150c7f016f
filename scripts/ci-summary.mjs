// Prints vitest's JSON report as one closing line, "N passed, N failed", for CI.
import { readFileSync } from 'node:fs';
const file = process.argv[2] ?? 'test-results/vitest.json';
try {
  const r = JSON.parse(readFileSync(file, 'utf8'));
  const failed = r.numFailedTests + (r.numFailedTestSuites ?? 0);
  console.log(`${r.numPassedTests} passed, ${failed} failed`);
} catch (err) {
  console.log(`0 passed, 1 failed`);
  console.error(`no test report at ${file}: ${err.message}`);
  process.exitCode = 1;
}
