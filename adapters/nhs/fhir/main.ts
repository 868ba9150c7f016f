/**
 * The NHS adapter against a FHIR R4 server with SMART Backend Services, runnable on its own:
 *
 *   node --import tsx adapters/nhs/fhir/main.ts --gateway https://gateway:8443 --cert agency.pem --key agency-key.pem --ca ca.pem \
 *     --fhir-base https://fhir.trust.nhs.uk/R4 --fhir-client-id <client id> --fhir-key fhir-signing-key.pem --fhir-kid <key id> \
 *     [--fhir-token-endpoint <url>] [--fhir-scope "system/Patient.rs ..."] [--fhir-timeout-ms 15000] [--fhir-search-method POST|GET]
 *
 * Every SDK option applies (config file, push mode, state directory; adapters/README.md); in a
 * config file the FHIR options are fhirBase, fhirClientId, fhirKey, fhirKid, fhirTokenEndpoint,
 * fhirScope, fhirTimeoutMs, fhirSearchMethod. See adapters/nhs/README.md.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startAdapter } from '../../sdk/cli.js';
import { loadAdapterConfig, type AdapterConfig } from '../../sdk/config.js';
import { AdapterError } from '../../sdk/errors.js';
import { createFhirClient } from './client.js';
import { createSmartAuth } from './smart-auth.js';
import { createFhirNhsAgency, nhsFhirMapping, type FhirNhsAgency } from './source.js';

export interface FhirAdapterOptions {
  fhirBase: string;
  clientId: string;
  privateKeyPem: string;
  kid: string;
  tokenEndpoint?: string;
  scope?: string;
  timeoutMs?: number;
  searchMethod?: 'POST' | 'GET';
}

/** The FHIR options from the SDK config's extra flags (`--fhir-base` or `fhirBase`); the problems, if any. */
export function fhirOptionsOf(cfg: AdapterConfig, cwd = process.cwd()): { options?: FhirAdapterOptions; problems: string[] } {
  const get = (flag: string, key: string) => cfg.extra[flag] ?? cfg.extra[key];
  const problems: string[] = [];
  const need = (flag: string, key: string) => {
    const v = get(flag, key);
    if (!v) problems.push(`--${flag} (${key}) is required`);
    return v ?? '';
  };
  const fhirBase = need('fhir-base', 'fhirBase');
  const clientId = need('fhir-client-id', 'fhirClientId');
  const keyPath = need('fhir-key', 'fhirKey');
  const kid = need('fhir-kid', 'fhirKid');
  let privateKeyPem = '';
  if (keyPath) {
    try {
      privateKeyPem = readFileSync(resolve(cwd, keyPath), 'utf8');
    } catch {
      problems.push('--fhir-key: the private key file cannot be read');
    }
  }
  const timeout = get('fhir-timeout-ms', 'fhirTimeoutMs');
  if (timeout !== undefined && !(Number(timeout) > 0)) problems.push('--fhir-timeout-ms must be a positive number');
  const method = get('fhir-search-method', 'fhirSearchMethod')?.toUpperCase();
  if (method !== undefined && method !== 'POST' && method !== 'GET') problems.push('--fhir-search-method must be POST or GET');
  if (problems.length) return { problems };
  const tokenEndpoint = get('fhir-token-endpoint', 'fhirTokenEndpoint');
  const scope = get('fhir-scope', 'fhirScope');
  return {
    problems,
    options: { fhirBase, clientId, privateKeyPem, kid, ...(tokenEndpoint ? { tokenEndpoint } : {}), ...(scope ? { scope } : {}), ...(timeout ? { timeoutMs: Number(timeout) } : {}), ...(method ? { searchMethod: method as 'POST' | 'GET' } : {}) },
  };
}

export function createFhirAgencyFrom(o: FhirAdapterOptions): FhirNhsAgency {
  const auth = createSmartAuth({ fhirBase: o.fhirBase, clientId: o.clientId, privateKeyPem: o.privateKeyPem, kid: o.kid, ...(o.tokenEndpoint ? { tokenEndpoint: o.tokenEndpoint } : {}), ...(o.scope ? { scope: o.scope } : {}), ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}) });
  return createFhirNhsAgency({ client: createFhirClient({ baseUrl: o.fhirBase, auth, ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}), ...(o.searchMethod ? { searchMethod: o.searchMethod } : {}) }) });
}

async function main(argv: readonly string[]): Promise<void> {
  const fail = (lines: string[]) => {
    process.stderr.write(`nhs adapter (FHIR): configuration invalid\n${lines.map((l) => `  - ${l}`).join('\n')}\n`);
    process.exitCode = 2;
  };
  let cfg: AdapterConfig;
  try {
    cfg = loadAdapterConfig(argv, { dataDir: fileURLToPath(new URL('../data/', import.meta.url)) });
  } catch (e) {
    if (e instanceof AdapterError) return fail([e.message, ...(e.problems ?? []).map((p) => `${p.path}: ${p.message}`)]);
    throw e;
  }
  const { options, problems } = fhirOptionsOf(cfg);
  if (!options) return fail(problems);
  let agency: FhirNhsAgency;
  try {
    agency = createFhirAgencyFrom(options);
  } catch (e) {
    if (e instanceof AdapterError) return fail([`${e.code}: ${e.message}`]);
    throw e;
  }
  const running = await startAdapter({ name: 'nhs', mapping: nhsFhirMapping, dataDir: cfg.dataDir }, cfg, { agency });
  await new Promise<void>((done) => {
    const stop = () => void running.stop().then(done);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) await main(process.argv.slice(2));
