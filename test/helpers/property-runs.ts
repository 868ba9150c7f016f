/**
 * How many runs a property test makes. `npm test` uses each test's default, sized so that the
 * file passes well inside the time-out on two cores that another process keeps busy (issue 18);
 * `npm run test:deep` multiplies every default (PROPERTY_RUNS_FACTOR, 10 there) for a long search
 * before a release, and a named variable (e.g. LOCATION_PROPERTY_RUNS) sets one family exactly.
 */
export function propertyRuns(defaultRuns: number, variable?: string): number {
  const exact = variable ? process.env[variable] : undefined;
  if (exact !== undefined && exact !== '') return positive(exact, variable!);
  const factor = process.env.PROPERTY_RUNS_FACTOR;
  return factor ? Math.ceil(defaultRuns * positive(factor, 'PROPERTY_RUNS_FACTOR')) : defaultRuns;
}

function positive(raw: string, name: string): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, not ${JSON.stringify(raw)}`);
  return n;
}
