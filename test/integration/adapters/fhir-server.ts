/**
 * A small FHIR R4 search server for the NHS adapter's tests, on node:http over PostgreSQL (a jsonb
 * `fhir_resources` table in the test's own database), with a SMART Backend Services token endpoint.
 *
 * Why not @asymmetrik/node-fhir-server-core: its last release (2.2.x) declares Node 8/10/11 engines,
 * pulls Express 4, jsonwebtoken 8, passport 0.5, mongodb 4, and eslint, snyk and cross-env as
 * runtime dependencies, and still leaves the storage and every search to be written by hand.
 *
 * It supports exactly what the adapter's client uses, and says 400 to anything else:
 *   GET  /fhir/.well-known/smart-configuration
 *   POST /auth/token   client_credentials + private_key_jwt; the assertion's signature is verified
 *                      with the client's registered public key (RS384/ES384); expired, too long-lived,
 *                      replayed (jti), wrong aud/iss/sub/kid → 401 invalid_client
 *   GET  /fhir/Patient/{id}
 *   GET  /fhir/Patient?identifier=system|value | family, given (starts-with, any name), birthdate (eq),
 *                      address-postalcode (starts-with, spaces ignored)
 *   GET  /fhir/{Encounter|Condition|Observation|Flag}?subject=Patient/id, /fhir/EpisodeOfCare?patient=Patient/id
 *        Encounter also class=system|code and date=geYYYY-MM-DD; Observation also code=system|code[,system|code]
 *   each search also as POST /fhir/{type}/_search with a form body (what the client sends);
 *   _count (default 20, at most 100) with an opaque Bundle.link next (/fhir?_getpages=…&_offset=…),
 *   every FHIR route needing a valid bearer token.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createPublicKey, randomBytes, verify, type KeyObject } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type pg from 'pg';

export interface RegisteredClient {
  clientId: string;
  kid: string;
  publicKeyPem: string;
}

export interface FhirTestServer {
  baseUrl: string;
  tokenUrl: string;
  /** Tokens issued, assertions refused (with the reason), FHIR requests refused for a bad token, searches by resource type, first pages asked by GET with the values in the URL. */
  stats: { tokensIssued: number; refused: string[]; unauthorised: number; searches: Record<string, number>; getSearches: number };
  /** Make every issued token invalid now (the next FHIR call answers 401). */
  expireTokens(): void;
  load(resources: readonly Record<string, unknown>[]): Promise<number>;
  close(): Promise<void>;
}

const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

function send(res: ServerResponse, status: number, body: unknown, type = 'application/fhir+json') {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

const outcome = (code: string, diagnostics: string) => ({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics }] });

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const likePrefix = (v: string) => `${v.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;

function token(v: string): { system: string; code: string } | null {
  const i = v.indexOf('|');
  return i > 0 && i < v.length - 1 ? { system: v.slice(0, i), code: v.slice(i + 1) } : null;
}

export async function startFhirTestServer(o: { pool: pg.Pool; clients: RegisteredClient[]; tokenSeconds?: number; now?: () => number }): Promise<FhirTestServer> {
  const { pool } = o;
  const now = o.now ?? Date.now;
  await pool.query(`CREATE TABLE IF NOT EXISTS fhir_resources (
    resource_type text NOT NULL, id text NOT NULL, patient_id text, resource jsonb NOT NULL,
    PRIMARY KEY (resource_type, id))`);
  await pool.query('CREATE INDEX IF NOT EXISTS fhir_resources_patient ON fhir_resources (resource_type, patient_id)');
  const clients = new Map(o.clients.map((c) => [c.clientId, { ...c, key: createPublicKey(c.publicKeyPem) }]));
  const tokens = new Map<string, number>();
  const seenJti = new Set<string>();
  const pages = new Map<string, { type: string; params: URLSearchParams }>();
  const stats: FhirTestServer['stats'] = { tokensIssued: 0, refused: [], unauthorised: 0, searches: {}, getSearches: 0 };
  let origin = '';

  function checkAssertion(form: URLSearchParams): string | null {
    if (form.get('grant_type') !== 'client_credentials') return 'grant_type';
    if (form.get('client_assertion_type') !== CLIENT_ASSERTION_TYPE) return 'client_assertion_type';
    const jwt = form.get('client_assertion') ?? '';
    const parts = jwt.split('.');
    if (parts.length !== 3) return 'malformed';
    let header: { alg?: string; kid?: string; typ?: string };
    let claims: { iss?: string; sub?: string; aud?: string | string[]; exp?: number; jti?: string };
    try {
      header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8'));
      claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
    } catch {
      return 'malformed';
    }
    const client = claims.iss ? clients.get(claims.iss) : undefined;
    if (!client) return 'unknown-client';
    if (header.kid !== client.kid) return 'kid';
    if (header.alg !== 'RS384' && header.alg !== 'ES384') return 'alg';
    const key: KeyObject = client.key;
    if ((header.alg === 'RS384') !== (key.asymmetricKeyType === 'rsa')) return 'alg';
    const ok = verify('sha384', Buffer.from(`${parts[0]}.${parts[1]}`), header.alg === 'ES384' ? { key, dsaEncoding: 'ieee-p1363' } : key, Buffer.from(parts[2]!, 'base64url'));
    if (!ok) return 'signature';
    if (claims.sub !== claims.iss) return 'sub';
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!aud.includes(`${origin}/auth/token`)) return 'aud';
    const t = Math.floor(now() / 1000);
    if (typeof claims.exp !== 'number' || claims.exp <= t) return 'expired';
    if (claims.exp > t + 300 + 60) return 'lifetime';
    if (!claims.jti || seenJti.has(claims.jti)) return 'jti';
    seenJti.add(claims.jti);
    return null;
  }

  async function tokenEndpoint(req: IncomingMessage, res: ServerResponse) {
    const form = new URLSearchParams(await readBody(req));
    const refused = checkAssertion(form);
    if (refused) {
      stats.refused.push(refused);
      return send(res, 401, { error: 'invalid_client', error_description: `client assertion refused: ${refused}` }, 'application/json');
    }
    const value = randomBytes(24).toString('base64url');
    const expiresIn = o.tokenSeconds ?? 300;
    tokens.set(value, now() + expiresIn * 1000);
    stats.tokensIssued++;
    send(res, 200, { access_token: value, token_type: 'bearer', expires_in: expiresIn, scope: form.get('scope') ?? '' }, 'application/json');
  }

  async function search(type: string, q: URLSearchParams, res: ServerResponse) {
    const where: string[] = ['resource_type = $1'];
    const args: unknown[] = [type];
    const arg = (v: unknown) => `$${args.push(v)}`;
    const allowed: Record<string, string[]> = {
      Patient: ['identifier', 'family', 'given', 'birthdate', 'address-postalcode'],
      Encounter: ['subject', 'class', 'date'],
      Condition: ['subject'],
      Observation: ['subject', 'code'],
      Flag: ['subject'],
      EpisodeOfCare: ['patient'],
    };
    if (!allowed[type]) return send(res, 404, outcome('not-supported', `resource type ${type} is not served`));
    for (const [k, v] of q) {
      if (k === '_count' || k === '_offset') continue;
      if (!allowed[type]!.includes(k)) return send(res, 400, outcome('not-supported', `search parameter ${k} is not supported on ${type}`));
      switch (k) {
        case 'identifier': {
          const t = token(v);
          if (!t) return send(res, 400, outcome('invalid', 'identifier must be system|value'));
          where.push(`resource->'identifier' @> ${arg(JSON.stringify([{ system: t.system, value: t.code }]))}::jsonb`);
          break;
        }
        case 'family': where.push(`EXISTS (SELECT 1 FROM jsonb_array_elements(resource->'name') n WHERE lower(n->>'family') LIKE lower(${arg(likePrefix(v))}))`); break;
        case 'given': where.push(`EXISTS (SELECT 1 FROM jsonb_array_elements(resource->'name') n, jsonb_array_elements_text(coalesce(n->'given', '[]')) g WHERE lower(g) LIKE lower(${arg(likePrefix(v))}))`); break;
        case 'birthdate':
          if (!/^\d{4}-\d{2}-\d{2}$/.test(v)) return send(res, 400, outcome('invalid', 'birthdate must be a full date'));
          where.push(`resource->>'birthDate' = ${arg(v)}`);
          break;
        case 'address-postalcode': where.push(`EXISTS (SELECT 1 FROM jsonb_array_elements(resource->'address') a WHERE upper(replace(a->>'postalCode', ' ', '')) LIKE ${arg(likePrefix(v.replace(/\s/g, '').toUpperCase()))})`); break;
        case 'subject': case 'patient': {
          const m = /^Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(v);
          if (!m) return send(res, 400, outcome('invalid', `${k} must be Patient/<id>`));
          where.push(`patient_id = ${arg(m[1])}`);
          break;
        }
        case 'class': {
          const t = token(v);
          if (!t) return send(res, 400, outcome('invalid', 'class must be system|code'));
          where.push(`resource->'class'->>'system' = ${arg(t.system)} AND resource->'class'->>'code' = ${arg(t.code)}`);
          break;
        }
        case 'date': {
          const m = /^ge(\d{4}-\d{2}-\d{2})$/.exec(v);
          if (!m) return send(res, 400, outcome('not-supported', 'only date=geYYYY-MM-DD is supported'));
          where.push(`coalesce(resource->'period'->>'end', resource->'period'->>'start') >= ${arg(m[1])}`);
          break;
        }
        case 'code': {
          const ors: string[] = [];
          for (const part of v.split(',')) {
            const t = token(part);
            if (!t) return send(res, 400, outcome('invalid', 'code must be system|code'));
            ors.push(`resource->'code'->'coding' @> ${arg(JSON.stringify([{ system: t.system, code: t.code }]))}::jsonb`);
          }
          where.push(`(${ors.join(' OR ')})`);
          break;
        }
      }
    }
    if (where.length === 1) return send(res, 400, outcome('too-costly', 'a search needs at least one parameter'));
    const count = Math.min(100, Math.max(1, Number(q.get('_count') ?? 20) || 20));
    const offset = Math.max(0, Number(q.get('_offset') ?? 0) || 0);
    stats.searches[type] = (stats.searches[type] ?? 0) + 1;
    const r = await pool.query<{ resource: Record<string, unknown>; total: number }>(
      `SELECT resource, count(*) OVER ()::int AS total FROM fhir_resources WHERE ${where.join(' AND ')} ORDER BY id LIMIT ${count + 1} OFFSET ${offset}`, args);
    const page = r.rows.slice(0, count);
    // The next link is opaque (the search values stay on the server, as HAPI's _getpages does).
    const link: { relation: string; url: string }[] = [];
    if (r.rows.length > count) {
      const id = randomBytes(12).toString('base64url');
      pages.set(id, { type, params: new URLSearchParams([...q].filter(([k]) => k !== '_count' && k !== '_offset')) });
      link.push({ relation: 'next', url: `${origin}/fhir?_getpages=${id}&_count=${count}&_offset=${offset + count}` });
    }
    send(res, 200, {
      resourceType: 'Bundle', type: 'searchset', total: r.rows[0]?.total ?? 0, link,
      entry: page.map((x) => ({ fullUrl: `${origin}/fhir/${type}/${String(x.resource.id)}`, resource: x.resource, search: { mode: 'match' } })),
    });
  }

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', origin);
      if (req.method === 'GET' && url.pathname === '/fhir/.well-known/smart-configuration') {
        return send(res, 200, {
          token_endpoint: `${origin}/auth/token`,
          token_endpoint_auth_methods_supported: ['private_key_jwt'],
          token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384'],
          grant_types_supported: ['client_credentials'],
          scopes_supported: ['system/*.rs'],
          capabilities: ['client-confidential-asymmetric'],
        }, 'application/json');
      }
      if (req.method === 'POST' && url.pathname === '/auth/token') return tokenEndpoint(req, res);
      const m = /^\/fhir(?:\/([A-Za-z]+)(?:\/([A-Za-z0-9\-.]{1,64}|_search))?)?$/.exec(url.pathname);
      const post = req.method === 'POST' && m?.[2] === '_search';
      if (!m || !(req.method === 'GET' || post)) return send(res, 404, outcome('not-found', 'no such route'));
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const exp = bearer ? tokens.get(bearer) : undefined;
      if (!exp || exp <= now()) {
        stats.unauthorised++;
        res.setHeader('www-authenticate', 'Bearer error="invalid_token"');
        return send(res, 401, outcome('login', 'a valid bearer token is required'));
      }
      if (!m[1]) {
        const stored = pages.get(url.searchParams.get('_getpages') ?? '');
        if (!stored) return send(res, 404, outcome('not-found', 'no such page set'));
        const q = new URLSearchParams(stored.params);
        for (const k of ['_count', '_offset']) if (url.searchParams.has(k)) q.set(k, url.searchParams.get(k)!);
        return search(stored.type, q, res);
      }
      if (post) {
        if (!/^application\/x-www-form-urlencoded/.test(req.headers['content-type'] ?? '')) return send(res, 415, outcome('not-supported', 'POST _search takes a form body'));
        return search(m[1], new URLSearchParams(await readBody(req)), res);
      }
      if (m[2]) {
        const r = await pool.query<{ resource: unknown }>('SELECT resource FROM fhir_resources WHERE resource_type = $1 AND id = $2', [m[1], m[2]]);
        return r.rows[0] ? send(res, 200, r.rows[0].resource) : send(res, 404, outcome('not-found', `${m[1]}/${m[2]} is not known`));
      }
      stats.getSearches++;
      return search(m[1], url.searchParams, res);
    })().catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, outcome('exception', e instanceof Error ? e.message : 'error'));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    baseUrl: `${origin}/fhir`,
    tokenUrl: `${origin}/auth/token`,
    stats,
    expireTokens() {
      for (const k of tokens.keys()) tokens.set(k, 0);
    },
    async load(resources) {
      const r = await pool.query(
        `INSERT INTO fhir_resources (resource_type, id, patient_id, resource)
         SELECT x->>'resourceType', x->>'id',
                CASE WHEN x->>'resourceType' = 'Patient' THEN x->>'id'
                     ELSE substring(coalesce(x->'subject'->>'reference', x->'patient'->>'reference') from '^Patient/(.*)$') END,
                x
         FROM jsonb_array_elements($1::jsonb) x
         ON CONFLICT (resource_type, id) DO UPDATE SET resource = EXCLUDED.resource, patient_id = EXCLUDED.patient_id`,
        [JSON.stringify(resources)]);
      return r.rowCount ?? 0;
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
