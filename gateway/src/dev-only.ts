/**
 * Development-only modules, loaded only when asked for. A production install
 * (`npm ci --omit=dev`) does not have the packages behind them (oidc-provider, smtp-server), so
 * they are never imported statically from code a production start loads; asked for there, they
 * say so with a stable code instead of failing on a missing package.
 * (test/integration/ops/production-build.test.ts runs the compiled gateway on such a tree.)
 */
export async function loadDevOnly<T>(load: () => Promise<T>, feature: string): Promise<T> {
  try {
    return await load();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') throw new DevelopmentFeatureUnavailable(feature);
    throw err;
  }
}

export class DevelopmentFeatureUnavailable extends Error {
  readonly code = 'DEVELOPMENT_FEATURE_UNAVAILABLE';
  constructor(feature: string) {
    super(`${feature} is a development feature and this is a production install (npm ci --omit=dev): ` +
      'configure the real service instead, or install with development dependencies.');
  }
}
