import { generateKeyPairSync, randomBytes, randomUUID, timingSafeEqual, createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { rateLimit } from 'express-rate-limit';
import Provider, { type Account, type Configuration } from 'oidc-provider';
import { GatewayError } from '../../errors.js';
import { DEMO_PASSWORD, DEMO_USERS, type DemoUser } from './demo-users.js';
import { DEV_LOGIN_CSS, renderLoginPage, renderMessagePage } from './dev-login-page.js';

/**
 * A real OpenID Connect provider (oidc-provider 9) running in-process, for the embedded default and
 * the tests. It speaks the standard protocol end to end (discovery, authorisation code + PKCE, ID
 * token, userinfo), so the gateway's client cannot tell it from an organisation's own provider.
 *
 * It holds demo people with a shared demo password: it must never run in production by accident.
 */

export class DevOidcInProduction extends GatewayError {
  readonly code = 'DEV_OIDC_IN_PRODUCTION';
  readonly status = 500;
}

export interface DevOidcClient {
  client_id: string;
  client_secret: string;
  redirect_uris: string[];
  post_logout_redirect_uris?: string[];
}

export interface DevOidcOptions {
  /** 0 picks a free port. */
  port: number;
  /** Host the issuer URL names and the server binds to. */
  issuerHost?: string;
  clients: DevOidcClient[];
  users?: readonly DemoUser[];
  production: boolean;
  allowInProduction?: boolean;
  /** Claim carrying the roles (array of strings). */
  roleClaim?: string;
  /** Claim carrying the person's agency id. */
  agencyClaim?: string;
  /** Sign-in attempts allowed per client IP per window on the password form. */
  loginRateLimit?: { windowMs: number; limit: number };
  /**
   * Serve HTTPS with this certificate (the issuer URL is then https://): for a production-mode
   * gateway, which accepts only an https issuer (test/integration/ops/production-build.test.ts).
   */
  tls?: { certPem: string; keyPem: string };
}

export interface DevOidcProvider {
  issuer: string;
  port: number;
  close(): Promise<void>;
}

/** Scope the gateway asks for to receive the role and agency claims. */
export const MARAC_SCOPE = 'marac';

function passwordMatches(given: string, expected: string): boolean {
  // Compare digests so the comparison takes the same time whatever the lengths.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function signingJwks(): { keys: object[] } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  return { keys: [{ ...jwk, kid: randomUUID(), alg: 'RS256', use: 'sig' }] };
}

function listen(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export async function startDevOidcProvider(opts: DevOidcOptions): Promise<DevOidcProvider> {
  if (opts.production && !opts.allowInProduction) {
    throw new DevOidcInProduction(
      'the development OIDC provider holds demo accounts and refuses to start in production mode',
    );
  }
  const host = opts.issuerHost ?? '127.0.0.1';
  const users = opts.users ?? DEMO_USERS;
  const roleClaim = opts.roleClaim ?? 'marac_roles';
  const agencyClaim = opts.agencyClaim ?? 'agency';
  const byUsername = new Map(users.map((u) => [u.username, u]));

  // The issuer URL names the port, so bind first and build the provider once the port is known.
  const server: http.Server = opts.tls ? https.createServer({ cert: opts.tls.certPem, key: opts.tls.keyPem }) : http.createServer();
  const port = await listen(server, opts.port, host);
  const issuer = `${opts.tls ? 'https' : 'http'}://${host}:${port}`;

  const configuration: Configuration = {
    clients: opts.clients.map((c) => ({
      client_id: c.client_id,
      client_secret: c.client_secret,
      redirect_uris: c.redirect_uris,
      post_logout_redirect_uris: c.post_logout_redirect_uris ?? [],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    })),
    async findAccount(_ctx, sub): Promise<Account | undefined> {
      const user = byUsername.get(sub);
      if (!user) return undefined;
      return {
        accountId: user.username,
        claims: () => ({
          sub: user.username,
          name: user.name,
          [roleClaim]: [...user.roles],
          ...(user.agency ? { [agencyClaim]: user.agency } : {}),
          ...(user.email ? { email: user.email } : {}),
        }),
      };
    },
    // The e-mail address goes with the gateway's own scope, so the default scopes bring it.
    claims: { openid: ['sub'], profile: ['name'], [MARAC_SCOPE]: [roleClaim, agencyClaim, 'email'] },
    // First-party clients only: grant every scope the provider knows instead of asking for consent.
    async loadExistingGrant(ctx: unknown) {
      const c = ctx as {
        oidc: { client: { clientId: string }; session: { accountId?: string; grantIdFor(id: string): string | undefined }; result?: { consent?: { grantId?: string } } };
      };
      const existing = c.oidc.result?.consent?.grantId ?? c.oidc.session.grantIdFor(c.oidc.client.clientId);
      if (existing) {
        const found = await provider.Grant.find(existing);
        if (found) return found;
      }
      if (!c.oidc.session.accountId) return undefined;
      const grant = new provider.Grant({ accountId: c.oidc.session.accountId, clientId: c.oidc.client.clientId });
      grant.addOIDCScope(`openid profile ${MARAC_SCOPE}`);
      await grant.save();
      return grant;
    },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    jwks: signingJwks(),
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: { enabled: false },
    },
    pkce: { required: () => true },
    // Short lives: this provider exists for one sign-in at a time, and explicit values keep
    // oidc-provider from warning about its defaults.
    ttl: {
      AuthorizationCode: 60,
      Interaction: 600,
      Session: 8 * 3600,
      Grant: 8 * 3600,
      AccessToken: 600,
      IdToken: 600,
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = renderMessagePage('Sign-in error', out.error_description ?? out.error ?? 'Something went wrong.');
    },
  };

  const provider = new Provider(issuer, configuration);

  const app = express();
  app.disable('x-powered-by');
  const formBody = express.urlencoded({ extended: false, limit: '8kb' });
  const limiter = rateLimit({
    windowMs: opts.loginRateLimit?.windowMs ?? 60_000,
    limit: opts.loginRateLimit?.limit ?? 30,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (_req, res) => {
      res.status(429).type('html').send(renderMessagePage('Too many attempts', 'Wait a minute and try again.'));
    },
  });
  const demoHints = users.map((u) => ({ username: u.username, roles: u.roles }));

  app.use('/interaction', (_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    // form-action is left out on purpose: after the form posts, Chromium applies it to the redirect
    // chain back to the client's callback, whose origin differs.
    res.set('Content-Security-Policy', "default-src 'none'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'");
    res.set('X-Content-Type-Options', 'nosniff');
    res.set('Referrer-Policy', 'no-referrer');
    next();
  });
  app.get('/dev-login.css', (_req, res) => {
    res.type('text/css').set('Cache-Control', 'public, max-age=300').send(DEV_LOGIN_CSS);
  });

  app.get('/interaction/:uid', async (req, res, next) => {
    try {
      const details = await provider.interactionDetails(req, res);
      if (details.prompt.name === 'login') {
        res.type('html').send(
          renderLoginPage({ uid: details.uid, clientId: String(details.params.client_id ?? ''), demoUsers: demoHints, demoPassword: DEMO_PASSWORD }),
        );
        return;
      }
      // A consent prompt should not arise (loadExistingGrant grants), but if it does, grant what is missing.
      const accountId = details.session?.accountId;
      if (details.prompt.name === 'consent' && accountId) {
        const grant = details.grantId
          ? await provider.Grant.find(details.grantId)
          : new provider.Grant({ accountId, clientId: String(details.params.client_id) });
        if (!grant) throw new Error('grant vanished');
        const missingScope = (details.prompt.details.missingOIDCScope as string[] | undefined) ?? [];
        const missingClaims = (details.prompt.details.missingOIDCClaims as string[] | undefined) ?? [];
        if (missingScope.length) grant.addOIDCScope(missingScope.join(' '));
        if (missingClaims.length) grant.addOIDCClaims(missingClaims);
        const grantId = await grant.save();
        await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
        return;
      }
      res.status(400).type('html').send(renderMessagePage('Sign-in error', 'Unsupported interaction.'));
    } catch (err) {
      next(err);
    }
  });

  app.post('/interaction/:uid/login', limiter, formBody, async (req, res, next) => {
    try {
      const details = await provider.interactionDetails(req, res);
      if (details.prompt.name !== 'login') {
        res.status(400).type('html').send(renderMessagePage('Sign-in error', 'This sign-in is no longer waiting for a password.'));
        return;
      }
      const body = (req.body ?? {}) as Record<string, unknown>;
      const username = typeof body.username === 'string' ? body.username.trim() : '';
      const password = typeof body.password === 'string' ? body.password : '';
      if (!username || !password) {
        res.status(400).type('html').send(
          renderLoginPage({
            uid: details.uid,
            clientId: String(details.params.client_id ?? ''),
            demoUsers: demoHints,
            demoPassword: DEMO_PASSWORD,
            username,
            error: 'Enter your username and password',
          }),
        );
        return;
      }
      const user = byUsername.get(username);
      // Check a password even for an unknown user so timing does not reveal which usernames exist.
      const ok = passwordMatches(password, user?.password ?? randomBytes(16).toString('hex')) && user !== undefined;
      if (!ok) {
        // Send the failure back to the client (error=access_denied) so the relying party sees and
        // audits it, as it would with any provider that ends the flow on bad credentials.
        await provider.interactionFinished(
          req,
          res,
          { error: 'access_denied', error_description: 'invalid_credentials' },
          { mergeWithLastSubmission: false },
        );
        return;
      }
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: user.username, remember: false, amr: ['pwd'] } },
        { mergeWithLastSubmission: false },
      );
    } catch (err) {
      next(err);
    }
  });

  app.post('/interaction/:uid/abort', formBody, async (req, res, next) => {
    try {
      await provider.interactionFinished(
        req,
        res,
        { error: 'access_denied', error_description: 'cancelled' },
        { mergeWithLastSubmission: false },
      );
    } catch (err) {
      next(err);
    }
  });

  app.use('/interaction', (_err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    // Typically an expired or unknown interaction cookie; never echo internals.
    res.status(400).type('html').send(renderMessagePage('Sign-in error', 'This sign-in has expired. Go back and start again.'));
  });

  app.use(provider.callback());
  server.on('request', app);

  return {
    issuer,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
