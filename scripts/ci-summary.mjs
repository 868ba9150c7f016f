// Prints vitest's JSON reports (the main run and, in CI, the unit tests on Node 22) as one closing
// line, "N passed, N failed", for CI. A report that is missing or unreadable counts as a failure.
import { readFileSync } from 'node:fs';
const files = process.argv.length > 2 ? process.argv.slice(2) : ['test-results/vitest.json'];
let passed = 0;
let failed = 0;
for (const file of files) {
  try {
    const r = JSON.parse(readFileSync(file, 'utf8'));
    passed += r.numPassedTests;
    failed += r.numFailedTests + (r.numFailedTestSuites ?? 0);
  } catch (err) {
    failed += 1;
    console.error(`no test report at ${file}: ${err.message}`);
    process.exitCode = 1;
  }
}
console.log(`${passed} passed, ${failed} failed`);
