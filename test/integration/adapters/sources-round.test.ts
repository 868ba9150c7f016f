/**
 * The SQL and CSV sources answer a research request end to end (issue 16): police from read-only
 * views in PostgreSQL, housing from a nightly CSV export in a folder, both SDK runners in pull mode
 * against the real gateway over mTLS. A spy on each source records every search: each carries one
 * of the request's subjects' identifiers, or a name with a date of birth, never a listing of the
 * population.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';
import { seedSqlAgency, writeCsvAgency } from '../../helpers/agency-sources.js';
import { ADAPTERS, adapterByName } from '../../../adapters/catalog.js';
import { startAdapter, type RunningAdapter } from '../../../adapters/sdk/cli.js';
import { readDataDir } from '../../../adapters/sdk/data.js';
import { answerRequest, loadAgency, type LoadedAgency } from '../../../adapters/sdk/respond.js';
import type { RunnerEvent } from '../../../adapters/sdk/runner.js';
import { isNarrowQuery, sourceQueryOf, type Source, type SourceQuery } from '../../../adapters/sdk/source.js';
import { createSqlSource } from '../../../adapters/sdk/sources/sql.js';
import { standardSqlConfig } from '../../../adapters/sdk/sources/sql-setup.js';
import { createCsvSource } from '../../../adapters/sdk/sources/csv.js';
import { STANDARD_COLUMNS } from '../../../adapters/sdk/sources/documents.js';
import type { InboxMessage } from '../../../adapters/sdk/types.js';
import { policeDocumentMapping } from '../../../adapters/police/documents.js';
import { housingDocumentMapping } from '../../../adapters/housing/documents.js';
import { generatePopulation } from '../../../adapters/sdk/synthetic/population.js';
import { caseBody, pickRichHousehold } from '../../../adapters/sdk/synthetic/cases.js';

const pop = generatePopulation();
const truths = Object.fromEntries(ADAPTERS.map((a) => [a.dataDir.split('/').filter(Boolean).slice(-2)[0]!, JSON.parse(readFileSync(join(a.dataDir, 'truth.json'), 'utf8'))]));
const household = pickRichHousehold(pop, truths);
const DOMAINS = ['DA_INCIDENTS', 'ORDERS_AND_BAIL', 'CONVICTIONS', 'TENANCY'];

function spy<Db>(inner: Source<Db>, log: SourceQuery[]): Source<Db> {
  return {
    ...inner,
    search(q, o) {
      log.push(q);
      return inner.search(q, o);
    },
    read: (ids, o) => inner.read(ids, o),
  };
}

describe('SQL (police) and CSV (housing) sources, end to end through the gateway', () => {
  let t: TestGateway;
  let db: TestDatabase;
  let csvFolder: string;
  const adapters: RunningAdapter[] = [];
  const events: { agency: string; e: RunnerEvent }[] = [];
  const received = new Map<string, InboxMessage>();
  const queries: Record<string, SourceQuery[]> = { 'essex-police': [], 'chelmsford-housing': [] };
  const memory: Record<string, LoadedAgency> = {};

  beforeAll(async () => {
    t = await startTestGateway({ queue: 'postgres' });
    // The agencies' own systems: a police database with read-only views, a housing export folder.
    db = await createTestDatabase({ migrate: false });
    const police = loadAgency(policeDocumentMapping, readDataDir(adapterByName('police')!.dataDir));
    const housing = loadAgency(housingDocumentMapping, readDataDir(adapterByName('housing')!.dataDir));
    memory['essex-police'] = police;
    memory['chelmsford-housing'] = housing;
    await seedSqlAgency(db.pool, 'pole', policeDocumentMapping, police.db);
    csvFolder = writeCsvAgency(housingDocumentMapping, housing.db, 'housing-2026-12-06.csv');
    const sources: Record<string, LoadedAgency> = {
      'essex-police': { mapping: policeDocumentMapping, source: spy(createSqlSource(policeDocumentMapping, { ...standardSqlConfig('pole'), connectionString: db.url }), queries['essex-police']!) } as LoadedAgency,
      'chelmsford-housing': { mapping: housingDocumentMapping, source: spy(createCsvSource(housingDocumentMapping, { folder: csvFolder, columns: { ...STANDARD_COLUMNS, document: 'document' } }), queries['chelmsford-housing']!) } as LoadedAgency,
    };
    const base = t.gateway.agencyUrl.replace('localhost', '127.0.0.1');
    for (const [agencyId, name] of [['essex-police', 'police'], ['chelmsford-housing', 'housing']] as const) {
      const entry = adapterByName(name)!;
      const c = t.creds.get(agencyId)!;
      adapters.push(await startAdapter(entry, {
        gateway: base, certPem: c.certPem, keyPem: c.keyPem, caPem: c.caPem, dataDir: entry.dataDir,
        mode: 'pull', gatewayId: 'marac-gateway', waitSeconds: 5, once: false, check: false, extra: {},
      }, { log: () => {}, agency: sources[agencyId]!, onEvent: (e) => events.push({ agency: agencyId, e }), onMessage: (m) => received.set(agencyId, m) }));
    }
  });
  afterAll(async () => {
    await Promise.all(adapters.map((a) => a.stop()));
    await t?.stop();
    await db?.drop();
    if (csvFolder) rmSync(csvFolder, { recursive: true, force: true });
  });

  let caseId: string;
  let subjects: Record<string, string>;

  it('both answer the request; the pack shows what each source holds', async () => {
    const meeting = new Date(Date.now() + 21 * 86_400_000).toISOString().slice(0, 10);
    const c = await t.as('essex-marat').post('/v1/cases', caseBody(pop, household, { meetingDate: meeting, maxChildren: 2 }));
    expect(c.status, JSON.stringify(c.body)).toBe(201);
    caseId = c.body.caseId;
    subjects = Object.fromEntries(c.body.subjects.map((s: any) => [s.key, s.subjectId]));
    const r = await t.as('essex-marat').post(`/v1/cases/${caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: ['essex-police', 'chelmsford-housing'], requestedDomains: DOMAINS, lookbackMonths: 12 });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const requestId = r.body.requestId;
    await expect.poll(async () => {
      const s = await t.as('essex-marat').get(`/v1/research-requests/${requestId}`);
      return s.body.messages.filter((m: any) => m.state === 'responded').length;
    }, { timeout: 30_000, interval: 200 }).toBe(2);
    expect(events.filter((x) => ['gave-up', 'invalid-output', 'source-error', 'declined'].includes(x.e.type))).toEqual([]);

    const pack = await t.as('essex-marat').get(`/v1/cases/${caseId}/research`);
    expect(pack.status).toBe(200);
    const view = (agency: string, key: string) => pack.body.sections.find((s: any) => s.agencyId === agency).subjects.find((x: any) => x.subjectId === subjects[key]).view;
    expect(view('essex-police', 'p1').match).toMatchObject({ status: 'MATCHED', matchedOn: expect.arrayContaining(['pnc-id']) });
    expect(view('essex-police', 'p1').police).toBeDefined();
    expect(['MATCHED', 'POSSIBLE']).toContain(view('essex-police', 'v1').match.status);
    expect(['MATCHED', 'POSSIBLE']).toContain(view('chelmsford-housing', 'v1').match.status);
  });

  it('each source gave the same answer the in-memory export gives', async () => {
    const now = () => new Date('2026-12-01T10:00:00Z');
    for (const agency of ['essex-police', 'chelmsford-housing']) {
      const msg = received.get(agency)!;
      const a = await answerRequest(memory[agency]!, msg, { now });
      const source = agency === 'essex-police'
        ? createSqlSource(policeDocumentMapping, { ...standardSqlConfig('pole'), connectionString: db.url })
        : createCsvSource(housingDocumentMapping, { folder: csvFolder, columns: { ...STANDARD_COLUMNS, document: 'document' }, watch: false });
      const mapping = agency === 'essex-police' ? policeDocumentMapping : housingDocumentMapping;
      const viaSource = await answerRequest({ mapping, source } as LoadedAgency, msg, { now });
      await source.close();
      expect(viaSource.response, agency).toEqual(a.response);
    }
  });

  it('every search the runner made carried a subject\'s identifiers or name with date of birth, never the whole population', () => {
    for (const [agency, log] of Object.entries(queries)) {
      const msg = received.get(agency)!;
      const expected = msg.request.subjects.map(sourceQueryOf).filter((q): q is SourceQuery => q !== null).map((q) => JSON.stringify(q));
      expect(log.length, agency).toBeGreaterThan(0);
      for (const q of log) {
        expect(isNarrowQuery(q)).toBe(true);
        expect(q.identifiers.length > 0 || (q.names.length > 0 && q.dobs.length > 0) || q.names.some((n) => n.family && n.given?.length)).toBe(true);
        // Each query is exactly one subject's as the gateway released it to this agency.
        expect(expected).toContain(JSON.stringify(q));
      }
    }
  });
});
