import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createAuditLog, createCheckpointer, exportEvents, findLeaks, findLeaksInText, generateSigningKey, leakNeedles, tokensForSubject,
  type PersonalValues,
} from '../../../gateway/src/audit/index.js';
import { withTx } from '../../../gateway/src/store/db.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';
import { AUDITOR, HMAC_KEY, POLICE } from './helpers.js';

interface SampleSubject {
  key: string;
  names: { given?: string[]; family: string }[];
  dobs: string[];
  identifiers: { system: string; value: string }[];
  address?: { lines: string[]; postcode: string } | null;
  contact?: { phone?: string } | null;
}
const sample = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../fixtures/samples/case.json'), 'utf8')) as { subjects: SampleSubject[] };

/** Everything personal in the sample case: what must never reach the log. */
const personal: PersonalValues = {
  nhsNumbers: sample.subjects.flatMap((s) => s.identifiers.filter((i) => i.system === 'nhs-number').map((i) => i.value)),
  other: sample.subjects.flatMap((s) => s.identifiers.filter((i) => i.system !== 'nhs-number').map((i) => i.value)),
  names: sample.subjects.flatMap((s) => s.names.flatMap((n) => [...(n.given ?? []), n.family, `${n.given?.[0] ?? ''} ${n.family}`])),
  datesOfBirth: sample.subjects.flatMap((s) => s.dobs),
  postcodes: sample.subjects.flatMap((s) => (s.address ? [s.address.postcode] : [])),
  addressLines: sample.subjects.flatMap((s) => s.address?.lines ?? []),
  phones: sample.subjects.flatMap((s) => (s.contact?.phone ? [s.contact.phone] : [])),
};
const needles = leakNeedles(personal);

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

describe('grep test: the log holds tokens and paths, never the case data', () => {
  it('has something to look for', () => {
    expect(needles).toEqual(expect.arrayContaining(['9990013713', '999 001 3713', 'Sampleton', '1990-04-12', '12/04/1990', 'CM2 9ZZ', 'CM29ZZ', '1 Example Row', '07700 900123']));
  });

  it('a case cycle through the audit log leaves no NHS number, name, date of birth, postcode or address', async () => {
    const audit = createAuditLog({ hmacKey: HMAC_KEY });
    const keys = generateSigningKey();
    const cp = createCheckpointer({ pool: db.pool, signingKeyPem: keys.privateKeyPem, keyId: 'gateway-1', origin: 'marac-gateway' });
    const tokens = [...new Set(sample.subjects.flatMap((s) => tokensForSubject(HMAC_KEY, s)))];
    const coordinator = { ...POLICE, agencyId: 'essex-marat', agencyType: 'MARAC_COORDINATOR' as const };
    await withTx(db.pool, (tx) => audit.append(tx, { action: 'CASE_CREATED', actor: coordinator, caseId: 'case_1', decision: 'NONE', subjectTokens: tokens, agencyIds: ['essex-marat'], detail: { subjects: 3, criteria: 'VISIBLE_HIGH_RISK' } }));
    await withTx(db.pool, (tx) => audit.append(tx, { action: 'REQUEST_CREATED', actor: coordinator, caseId: 'case_1', requestId: 'req_1', messageId: 'msg_1', agreementId: 'essex-marat', agreementVersion: 1, purpose: 'MARAC_RESEARCH', decision: 'PERMIT', subjectTokens: tokens, agencyIds: ['essex-marat', 'essex-police'] }));
    await withTx(db.pool, (tx) => audit.append(tx, {
      action: 'VIEW_READ', actor: coordinator, caseId: 'case_1', requestId: 'req_1', messageId: 'msg_2', agreementId: 'essex-marat', agreementVersion: 1,
      purpose: 'MARAC_RESEARCH', decision: 'PERMIT_WITH_TRANSFORMS', subjectTokens: tokens,
      fieldsReleased: ['subj_victim/police.incidents[0].category'], fieldsTransformed: [{ path: 'subj_victim/subject.dateOfBirth', op: 'ageBand' }],
      fieldsWithheld: [{ path: 'subj_victim/subject.address', reason: 'LOC_GUARDRAIL' }, { path: 'subj_victim/contact.phone', reason: 'LOC_GUARDRAIL' }],
      viewDigest: 'd'.repeat(64), agencyIds: ['essex-marat', 'essex-police'],
    }));
    // A careless caller putting values in detail is stopped before anything is written.
    for (const value of ['9990013713', '1990-04-12', 'CM2 9ZZ', '07700 900123', '19/0456789Y']) {
      await expect(withTx(db.pool, (tx) => audit.append(tx, { action: 'ACCESS_DENIED', actor: AUDITOR, detail: { note: value } }))).rejects.toMatchObject({ code: 'AUDIT_PERSONAL_DATA' });
    }
    await audit.flush(db.pool);
    await cp.tick();

    expect(await findLeaks(db.pool, needles)).toEqual([]);
    let text = '';
    for await (const chunk of exportEvents(db.pool, {}, 'ndjson')) text += chunk;
    for await (const chunk of exportEvents(db.pool, {}, 'csv')) text += chunk;
    expect(findLeaksInText(text, needles)).toEqual([]);
    expect(text).toContain(tokens[0]);
  });

  it('the scan does find a value that got in (so an empty result means something)', async () => {
    const audit = createAuditLog({ hmacKey: HMAC_KEY });
    // Names cannot be recognised by pattern: only the grep over real scenario data catches them.
    await withTx(db.pool, (tx) => audit.append(tx, { action: 'ACCESS_DENIED', actor: AUDITOR, detail: { note: 'Jane Sampleton' } }));
    expect((await findLeaks(db.pool, needles)).map((l) => l.needle)).toEqual(expect.arrayContaining(['Jane', 'Sampleton', 'Jane Sampleton']));
    await audit.flush(db.pool);
    expect((await findLeaks(db.pool, needles)).every((l) => l.seq !== null)).toBe(true);
  });
});
