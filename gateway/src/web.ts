import { randomBytes } from 'node:crypto';
import type { Express } from 'express';
import type { Gateway } from './app.js';
import type { GatewayConfig } from './config.js';
import type { Logger } from './logger.js';
import { createOidcClient, type OidcClient } from './identity/oidc/client.js';
import { mountPeopleUi, type PeopleUi } from './ui/index.js';
import { loadDevOnly } from './dev-only.js';

/**
 * The people-facing side of the gateway: OIDC log-in and sessions, the GOV.UK-style pages for
 * coordinators, IG officers and auditors, and the people APIs (agreements, audit). Called by
 * `createGateway` through its `web` hook, before the listener starts.
 *
 * With `cfg.oidc.devProvider` (the development default) an in-process OpenID provider with demo
 * people starts on `cfg.oidc.devProviderPort`; its stop function goes on `stops`.
 */
export async function mountWeb(
  app: Express,
  g: Gateway,
  cfg: GatewayConfig,
  logger: Logger,
  stops: (() => Promise<unknown>)[],
): Promise<void> {
  const publicUrl = cfg.web.publicUrl.replace(/\/+$/, '');
  const redirectUri = `${publicUrl}/auth/callback`;
  let oidc: OidcClient;
  if (cfg.oidc.devProvider) {
    // The client secret only has to be shared with a provider in this same process.
    const clientSecret = randomBytes(24).toString('base64url');
    const { startDevOidcProvider } = await loadDevOnly(() => import('./identity/oidc/dev-provider.js'), 'DEV_OIDC (the development identity provider)');
    const idp = await startDevOidcProvider({
      port: cfg.oidc.devProviderPort,
      issuerHost: '127.0.0.1',
      clients: [{ client_id: cfg.oidc.clientId, client_secret: clientSecret, redirect_uris: [redirectUri] }],
      production: cfg.mode === 'production',
      // config.ts refuses DEV_OIDC in production unless DEV_OIDC_ALLOW_IN_PRODUCTION=true.
      allowInProduction: cfg.mode === 'production',
      roleClaim: cfg.oidc.roleClaim,
      agencyClaim: cfg.oidc.agencyClaim,
    });
    stops.push(() => idp.close());
    logger.warn('development OIDC provider started (demo accounts; never for real use)', { issuer: idp.issuer });
    oidc = createOidcClient({
      issuerUrl: idp.issuer,
      clientId: cfg.oidc.clientId,
      clientSecret,
      redirectUri,
      roleClaim: cfg.oidc.roleClaim,
      agencyClaim: cfg.oidc.agencyClaim,
      scopes: cfg.oidc.scopes,
      allowInsecureLoopback: true,
    });
  } else {
    if (!cfg.oidc.issuerUrl || !cfg.oidc.clientSecret) throw new Error('OIDC_ISSUER_URL and OIDC_CLIENT_SECRET are required without DEV_OIDC');
    oidc = createOidcClient({
      issuerUrl: cfg.oidc.issuerUrl,
      clientId: cfg.oidc.clientId,
      clientSecret: cfg.oidc.clientSecret,
      redirectUri,
      roleClaim: cfg.oidc.roleClaim,
      agencyClaim: cfg.oidc.agencyClaim,
      scopes: cfg.oidc.scopes,
    });
  }
  mountPeopleWeb(app, g, { oidc, sessions: cfg.sessions, publicUrl, logger, loginRateLimit: cfg.loginRateLimit });
}

// Kept importable from here (their first home); they live in dev-only.ts so that code outside
// the web side (notifications' development mailbox) can use them without importing the pages.
export { DevelopmentFeatureUnavailable, loadDevOnly } from './dev-only.js';

export interface PeopleWebOptions {
  oidc: OidcClient;
  sessions: GatewayConfig['sessions'];
  /** The origin browsers use, e.g. `https://marac.example.org` (CSRF Origin check, HSTS). */
  publicUrl: string;
  logger: Logger;
  /** The gateway's clock (tests move it); default real time. */
  now?: () => Date;
  loginRateLimit?: { windowMs: number; limit: number };
  /** Sample responses offered in the agreement preview (default: the repository's test fixtures). */
  samplesDir?: string;
}

/** Everything but the provider: for `mountWeb`, and for tests that bring their own provider. */
export function mountPeopleWeb(app: Express, g: Gateway, opts: PeopleWebOptions): PeopleUi {
  return mountPeopleUi(app, g, opts);
}
