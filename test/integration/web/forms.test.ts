/** The web forms' parsing and the view models, without a server (pure functions). */
import { describe, expect, it } from 'vitest';
import { fieldForProblem, parseCaseForm, subjectSlots, childCount } from '../../../gateway/src/ui/forms/case-form.js';
import { dateInput, londonTimeOn } from '../../../gateway/src/ui/forms/form-values.js';
import { parseRequestForm } from '../../../gateway/src/ui/forms/request-form.js';
import { applyDetails, applyFlow, detailsValues, flowValues, locateProblem, ruleRow } from '../../../gateway/src/ui/forms/agreement-form.js';
import { displayGroups, humaniseCode } from '../../../gateway/src/ui/view-model/released-view.js';
import { countdown } from '../../../gateway/src/ui/view-model/pack-view.js';
import { dateWarnings, diffView } from '../../../gateway/src/ui/view-model/agreement-view.js';
import { navigationFor, homeFor } from '../../../gateway/src/ui/render.js';
import { referralForm } from './world.js';

const TODAY = '2026-11-20';
const OPTS = { maracArea: 'essex', today: TODAY };
const meeting = { day: '16', month: '12', year: '2026' };

describe('referral form', () => {
  it('turns the filled-in form into the case body the exchange expects', () => {
    const r = parseCaseForm(referralForm(meeting), OPTS);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.body.meetingDate).toBe('2026-12-16');
    // The area is the coordinator agency's registered one: the form does not send it.
    expect(r.body.maracArea).toBeUndefined();
    expect(r.body.riskBasis).toEqual({ criteria: ['VISIBLE_HIGH_RISK', 'POTENTIAL_ESCALATION'], dashScore: 16, dashVersion: 'SAFELIVES_24Q', policeCallouts12m: 4 });
    expect(r.body.subjects.map((s) => [s.key, s.role])).toEqual([['victim', 'VICTIM'], ['perpetrator', 'PERPETRATOR'], ['child1', 'CHILD']]);
    const victim = r.body.subjects[0]!;
    expect(victim.names).toEqual([{ given: ['Jane'], family: 'Sampleton', use: 'official' }]);
    expect(victim.identifiers).toEqual([{ system: 'nhs-number', value: '9990013713' }]);
    expect(victim.address).toEqual({ lines: ['1 Example Row', 'Testford'], postcode: 'CM2 9ZZ', confidential: true });
    expect(victim.contact).toEqual({ phone: '07700 900123' });
    expect(victim.legal).toEqual({ art9Conditions: ['DPA_SCH1_P10'], art10Conditions: ['DPA_SCH1_P10'], careAndSupportNeeds: false });
    expect(r.body.subjects[1]!.identifiers).toEqual([{ system: 'pnc-id', value: '19/0456789Y' }]);
  });

  it('reports every problem at once, each linked to its own field', () => {
    const r = parseCaseForm({ childCount: '1' }, OPTS);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const fields = r.errors.items.map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining([
      'meetingDate-day', 'criteria', 'victim-family', 'victim-dob-day', 'victim-consent', 'victim-careNeeds',
      'perpetrator-family', 'perpetrator-relationship', 'perpetrator-consent', 'child1-family',
    ]));
    expect(r.errors.summary()[0]).toEqual({ text: 'Enter the date of the MARAC meeting', href: '#meetingDate-day' });
  });

  it.each([
    ['a meeting in the past', { 'meetingDate-year': '2025' }, 'meetingDate-day'],
    ['a date that does not exist', { 'meetingDate-day': '31', 'meetingDate-month': '2' }, 'meetingDate-day'],
    ['a Dash score over 24', { dashScore: '25' }, 'dashScore'],
    ['visible high risk without a Dash score', { dashScore: '' }, 'dashScore'],
    ['escalation without call-outs', { policeCallouts12m: '' }, 'policeCallouts12m'],
    ['professional judgement without reasons', { criteria: ['PROFESSIONAL_JUDGEMENT'] }, 'pjRationale'],
    ['repeat without the last referral date', { criteria: ['REPEAT'] }, 'lastReferral-day'],
    ['an NHS number with a wrong check digit', { 'victim-nhs': '999 001 3714' }, 'victim-nhs'],
    ['a PNC ID with a wrong check letter', { 'perpetrator-pnc': '19/0456789A' }, 'perpetrator-pnc'],
    ['a postcode that is not one', { 'victim-postcode': 'NOT A CODE' }, 'victim-postcode'],
    ['para 18 for an adult victim without care needs', { 'victim-art9': ['DPA_SCH1_P18'] }, 'victim-art9'],
    ['explicit consent as a condition without explicit consent', { 'victim-art9': ['EXPLICIT_CONSENT'] }, 'victim-art9'],
    ['a child aged 18 or over', { 'child1-dob-year': '2000' }, 'child1-dob-day'],
    ['no reason for sharing without consent', { 'victim-consentRationale': '' }, 'victim-consentRationale'],
    ['no reason when the person lacks capacity', { 'victim-consent': 'LACKS_CAPACITY', 'victim-consentRationale': '' }, 'victim-consentRationale'],
    ['nobody named as deciding to share without consent', { 'perpetrator-consentDecidedBy': '' }, 'perpetrator-consentDecidedBy'],
    ['no date for the decision to share without consent', { 'child1-consentDecidedAt-day': '', 'child1-consentDecidedAt-month': '', 'child1-consentDecidedAt-year': '' }, 'child1-consentDecidedAt-day'],
    ['a decision to share without consent dated in the future', { 'victim-consentDecidedAt-year': '2027' }, 'victim-consentDecidedAt-day'],
    ['a local reference with spaces', { externalRef: 'has spaces' }, 'externalRef'],
  ])('refuses %s with the error on its field', (_name, change, field) => {
    const r = parseCaseForm({ ...referralForm(meeting), ...change }, OPTS);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.items.map((e) => e.field)).toContain(field);
  });

  it('sends the decision to share without consent (rationale, who, when) with each subject', () => {
    const r = parseCaseForm(referralForm(meeting), OPTS);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.body.subjects[0]!.consent).toEqual({
        status: 'NOT_SOUGHT_UNSAFE', explicitForSpecialCategory: false, rationale: 'Asking would alert the perpetrator.',
        decidedBy: 'A. Example, MARAC coordinator', decidedAt: '2026-11-02',
      });
    }
  });

  it('needs no decision record when consent was given', () => {
    const r = parseCaseForm({
      ...referralForm(meeting), 'victim-consent': 'GIVEN', 'victim-consentRationale': '', 'victim-consentDecidedBy': '',
      'victim-consentDecidedAt-day': '', 'victim-consentDecidedAt-month': '', 'victim-consentDecidedAt-year': '',
    }, OPTS);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.body.subjects[0]!.consent).toEqual({ status: 'GIVEN', explicitForSpecialCategory: false });
  });

  it('para 18 is fine for an adult with care and support needs and for a child', () => {
    const r = parseCaseForm({ ...referralForm(meeting), 'victim-art9': ['DPA_SCH1_P18'], 'victim-careNeeds': 'yes' }, OPTS);
    expect(r.ok).toBe(true);
  });

  it('adds child sections on request, up to six, and ignores blank ones', () => {
    expect(childCount({ childCount: '1' }, 'add-child')).toBe(2);
    expect(childCount({ childCount: '6' }, 'add-child')).toBe(6);
    expect(childCount({ childCount: 'x' })).toBe(1);
    expect(subjectSlots(3).map((s) => s.prefix)).toEqual(['victim', 'perpetrator', 'child1', 'child2', 'child3']);
    const r = parseCaseForm({ ...referralForm(meeting), childCount: '3' }, OPTS);
    expect(r.ok && r.body.subjects.length).toBe(3);
  });

  it('a household without children needs the confirmation', () => {
    const noChild = Object.fromEntries(Object.entries(referralForm(meeting)).filter(([k]) => !k.startsWith('child1-')));
    expect(parseCaseForm(noChild, OPTS).ok).toBe(false);
    expect(parseCaseForm({ ...noChild, noChildren: 'yes' }, OPTS).ok).toBe(true);
  });

  it('maps the exchange’s JSON Pointer problems back to the form fields', () => {
    const r = parseCaseForm(referralForm(meeting), OPTS);
    if (!r.ok) throw new Error('form should parse');
    const at = (path: string) => fieldForProblem({ path, code: 'x', message: 'x' }, r.body);
    expect(at('/subjects/0/legal/art9Conditions')).toBe('victim-art9');
    expect(at('/subjects/2/dobs/0')).toBe('child1-dob-day');
    expect(at('/subjects/1/consent/rationale')).toBe('perpetrator-consentRationale');
    expect(at('/riskBasis/dashScore')).toBe('dashScore');
    expect(at('/meetingDate')).toBe('meetingDate-day');
  });
});

describe('date inputs and deadlines', () => {
  it('reads GOV.UK date inputs', () => {
    expect(dateInput({ 'd-day': '1', 'd-month': '7', 'd-year': '2026' }, 'd')).toEqual({ kind: 'date', iso: '2026-07-01' });
    expect(dateInput({}, 'd')).toEqual({ kind: 'empty' });
    expect(dateInput({ 'd-day': '1', 'd-year': '2026' }, 'd')).toEqual({ kind: 'invalid', message: 'must include a month' });
    expect(dateInput({ 'd-day': '29', 'd-month': '2', 'd-year': '2026' }, 'd').kind).toBe('invalid');
  });

  it('5pm London time in winter and in summer', () => {
    expect(londonTimeOn('2026-12-15', 17)).toBe('2026-12-15T17:00:00.000Z');
    expect(londonTimeOn('2026-07-15', 17)).toBe('2026-07-15T16:00:00.000Z');
  });

  it('counts down in working days and says when it is overdue', () => {
    const friday = new Date('2026-11-20T10:00:00Z');
    expect(countdown('2026-11-24T17:00:00Z', friday)).toEqual({ text: '2 working days left', overdue: false });
    expect(countdown('2026-11-20T17:00:00Z', friday)).toEqual({ text: 'Due today', overdue: false });
    expect(countdown('2026-11-18T17:00:00Z', friday)).toEqual({ text: '2 working days overdue', overdue: true });
    // Christmas and Boxing Day are not working days.
    expect(countdown('2026-12-29T17:00:00Z', new Date('2026-12-24T09:00:00Z')).text).toBe('1 working day left');
  });
});

describe('research request form', () => {
  const base = { agencies: ['essex-police', 'chelmsford-housing'], meetingDate: '2026-12-16', today: TODAY, now: new Date(`${TODAY}T10:00:00Z`) };

  it('builds the request; the deadline is 5pm London time', () => {
    const r = parseRequestForm({ recipients: ['essex-police'], purpose: 'MARAC_RESEARCH', 'deadline-day': '15', 'deadline-month': '12', 'deadline-year': '2026', lookbackMonths: '6' }, base);
    expect(r).toEqual({ ok: true, body: { purpose: 'MARAC_RESEARCH', recipients: ['essex-police'], lookbackMonths: 6, deadline: '2026-12-15T17:00:00.000Z' } });
  });

  it('refuses no recipients, an unknown agency, a deadline after the meeting and in the past', () => {
    const fields = (body: Record<string, string | string[]>) => {
      const r = parseRequestForm(body, base);
      return r.ok ? [] : r.errors.items.map((e) => e.field);
    };
    expect(fields({ purpose: 'MARAC_RESEARCH' })).toEqual(['recipients']);
    expect(fields({ recipients: ['recovery-ltd'], purpose: 'MARAC_RESEARCH' })).toEqual(['recipients']);
    expect(fields({ recipients: ['essex-police'], purpose: 'SOMETHING' })).toEqual(['purpose']);
    expect(fields({ recipients: ['essex-police'], purpose: 'MARAC_RESEARCH', 'deadline-day': '17', 'deadline-month': '12', 'deadline-year': '2026' })).toEqual(['deadline-day']);
    expect(fields({ recipients: ['essex-police'], purpose: 'MARAC_RESEARCH', 'deadline-day': '1', 'deadline-month': '11', 'deadline-year': '2026' })).toEqual(['deadline-day']);
  });
});

describe('agreement editor forms', () => {
  const doc = {
    id: 'test-isa', title: 'Test', effectiveFrom: '2026-01-01T00:00:00Z', reviewBy: '2027-06-30', expiresAt: '2027-12-31', retentionDays: 90,
    parties: [{ agency: 'essex-marat', type: 'MARAC_COORDINATOR', role: 'coordinator', name: 'Coordinator' }, { agency: 'essex-police', type: 'POLICE' }],
    purposes: ['MARAC_RESEARCH'],
    lawfulBasis: { article6: 'PUBLIC_TASK', article9: ['DPA_SCH1_P10'], article10: [], part3Sch8: [], statutoryGateways: ['CDA1998_S115'] },
    caseThreshold: { criteria: ['VISIBLE_HIGH_RISK'], minDashScore: 14 },
    flows: [{
      id: 'police-to-coordinator', from: { type: 'POLICE' }, to: { role: 'coordinator' }, direction: 'response', extraKeyKeptAsIs: true,
      release: { 'police.incidentCount12m': 'keep', 'police.incidents': [{ window: { months: 12, on: 'date' } }, { limit: { top: 3, by: 'date' } }], 'subject.dobs[]': { ageBand: [0, 18] } },
    }],
  };

  it('details: the form round-trips, keeping a stored time and anything it does not show', () => {
    const { doc: out, errors } = applyDetails(doc, detailsValues(doc));
    expect(errors.any).toBe(false);
    expect(out).toEqual(doc);
  });

  it('details: changes what the form shows, removes a ticked party, adds a new one', () => {
    const v = { ...detailsValues(doc), title: 'Renamed', 'party-1-remove': 'yes', 'party-2-agency': 'safe-steps-idva', 'party-2-type': 'IDVA', article9: ['DPA_SCH1_P10', 'DPA_SCH1_P18'] };
    const { doc: out, errors } = applyDetails(doc, v);
    expect(errors.any).toBe(false);
    expect(out.title).toBe('Renamed');
    expect(out.parties).toEqual([doc.parties[0], { agency: 'safe-steps-idva', type: 'IDVA' }]);
    expect((out.lawfulBasis as { article9: string[] }).article9).toEqual(['DPA_SCH1_P10', 'DPA_SCH1_P18']);
  });

  it('details: what cannot be saved at all is reported on its field', () => {
    const v = { ...detailsValues(doc), title: '', 'expiresAt-month': '13', retentionDays: '0', 'party-2-agency': 'Bad Id', article6: '' };
    const { errors } = applyDetails(doc, v);
    expect(errors.items.map((e) => e.field).sort()).toEqual(['article6', 'expiresAt-day', 'party-2-agency', 'party-2-type', 'retentionDays', 'title']);
  });

  it('flow: the rule table round-trips every operator form, including pipelines', () => {
    expect(ruleRow('a', 'keep')).toEqual({ field: 'a', op: 'keep', settings: '' });
    expect(ruleRow('a', { mask: { keepLast: 4 } })).toEqual({ field: 'a', op: 'mask', settings: '{ keepLast: 4 }' });
    expect(ruleRow('a', [{ date: 'month' }, 'keep'])).toEqual({ field: 'a', op: 'pipeline', settings: '[ { date: month }, keep ]' });
    const { doc: out, errors } = applyFlow(doc, 0, flowValues(doc.flows[0]));
    expect(errors.any).toBe(false);
    expect(out).toEqual(doc);
  });

  it('flow: edits a rule, removes one, adds one and a new flow goes at the end', () => {
    const v = flowValues(doc.flows[0]);
    const edited = { ...v, 'rule-0-op': 'drop', 'rule-1-remove': 'yes', 'rule-3-field': 'police.markers', 'rule-3-op': 'count' };
    const { doc: out } = applyFlow(doc, 0, edited);
    expect((out.flows as { release: object }[])[0]!.release).toEqual({ 'police.incidentCount12m': 'drop', 'subject.dobs[]': { ageBand: [0, 18] }, 'police.markers': 'count' });
    const added = applyFlow(doc, 1, { ...flowValues(undefined), id: 'new-flow', from: 'role:coordinator', to: 'type:POLICE', direction: 'request', 'rule-0-field': 'subject.names', 'rule-0-op': 'keep' });
    expect(added.errors.any).toBe(false);
    expect((added.doc.flows as unknown[]).length).toBe(2);
  });

  it('flow: bad rows are reported on their own inputs', () => {
    const v = {
      ...flowValues(doc.flows[0]), id: 'police-to-coordinator',
      'rule-0-op': 'mask', 'rule-0-settings': '{ keepLast: [',
      'rule-1-field': 'not a path', 'rule-2-op': 'teleport',
      'rule-3-field': 'police.incidentCount12m', 'rule-3-op': 'keep',
    };
    const { errors } = applyFlow(doc, 0, v);
    expect(errors.items.map((e) => e.field)).toEqual(['rule-0-settings', 'rule-1-field', 'rule-2-op', 'rule-3-field']);
    expect(applyFlow({ ...doc, flows: [...doc.flows, { ...doc.flows[0], id: 'other' }] }, 1, { ...flowValues(doc.flows[0]), id: 'police-to-coordinator' }).errors.items[0]?.field).toBe('id');
  });

  it('maps validation problems to the page and input they belong to', () => {
    expect(locateProblem({ path: '/flows/0/release/police.incidents', code: 'X', message: 'm' }, doc)).toEqual({ section: 'flow', flowIndex: 0, field: 'rule-1-op' });
    expect(locateProblem({ path: '/flows/0/release/police.incidents/1', code: 'X', message: 'm' }, doc)).toEqual({ section: 'flow', flowIndex: 0, field: 'rule-1-settings' });
    expect(locateProblem({ path: '/flows/0/to', code: 'X', message: 'm' }, doc)).toEqual({ section: 'flow', flowIndex: 0, field: 'to' });
    expect(locateProblem({ path: '/reviewBy', code: 'X', message: 'm' }, doc)).toEqual({ section: 'details', field: 'reviewBy-day' });
    expect(locateProblem({ path: '/parties/1/type', code: 'X', message: 'm' }, doc)).toEqual({ section: 'details', field: 'party-1-type' });
    expect(locateProblem({ path: '/lawfulBasis/article9', code: 'X', message: 'm' }, doc)).toEqual({ section: 'details', field: 'article9' });
  });
});

describe('view models', () => {
  const catalog = { get: (p: string) => (p === 'agencyRiskSummary.text' || p === 'idva.victimViews' ? { sensitivity: ['OPN', 'FT'] } : undefined) } as never;

  it('groups a released document, labels opinion and marks transformed fields', () => {
    const groups = displayGroups({
      subjectId: 'subj_1',
      match: { status: 'MATCHED', matchedOn: ['name', 'dob'] },
      knownToAgency: true,
      idva: { victimViews: 'Wants to stay', dashScore: 16 },
      police: { incidents: [{ date: '2026-09-14', category: 'DA_VERBAL' }], orders: [{ protectedPersonIds: ['subj_1'] }] },
      agencyRiskSummary: { text: 'Escalating', isOpinion: true },
    }, { catalog, transformed: [{ path: 'police.incidents', op: 'window' }, { path: 'police.incidents[0].date', op: 'date' }], subjects: new Map([['subj_1', 'Victim']]) });
    expect(groups.map((g) => g.heading)).toEqual(['Match', 'Summary', 'IDVA', 'Police', 'Agency risk summary']);
    expect(groups[0]!.rows.map((r) => [r.label, r.value])).toEqual([['Status', { kind: 'text', text: 'Matched' }], ['Matched on', { kind: 'text', text: 'name, dob' }]]);
    const views = groups[2]!.rows.find((r) => r.path === 'idva.victimViews')!;
    expect(views.opinion).toBe(true);
    const incidents = groups[3]!.tables.find((t) => t.path === 'police.incidents')!;
    expect(incidents.ops).toEqual(['limited to recent months', 'date generalised']);
    expect(incidents.value).toEqual({ kind: 'table', columns: [{ key: 'date', label: 'Date', opinion: false }, { key: 'category', label: 'Category', opinion: false }], rows: [['14 Sep 2026', 'DA verbal']] });
    expect((groups[3]!.tables[1]!.value as { rows: string[][] }).rows).toEqual([['Victim']]);
    expect(groups[4]!.rows[0]).toMatchObject({ label: 'Agency risk summary', opinion: true, value: { kind: 'text', text: 'Escalating' } });
  });

  it('reads codes as words but keeps acronyms', () => {
    expect(humaniseCode('UNDER_500')).toBe('Under 500');
    expect(humaniseCode('NFA')).toBe('NFA');
    expect(humaniseCode('NOT_FOUND')).toBe('Not found');
    expect(humaniseCode('NO_ART9_CONDITION')).toBe('Special category data without an Article 9 condition for this person');
  });

  it('warns as the review date nears and when it has passed', () => {
    const now = new Date('2027-05-01T00:00:00Z');
    expect(dateWarnings({ reviewBy: '2027-06-30', expiresAt: '2027-12-31' }, now).map((t) => t.text)).toEqual(['Review due soon']);
    expect(dateWarnings({ reviewBy: '2027-04-30', expiresAt: '2027-12-31' }, now).map((t) => t.text)).toEqual(['Review overdue']);
    expect(dateWarnings({ reviewBy: '2027-04-01', expiresAt: '2027-06-01' }, now).map((t) => t.text)).toEqual(['Expires soon', 'Review overdue']);
    expect(dateWarnings({ reviewBy: '2028-06-30', expiresAt: '2028-12-31' }, now)).toEqual([]);
  });

  it('the diff puts changes to what is released first', () => {
    const d = diffView({
      agreementId: 'a', fromVersion: 1, toVersion: 2,
      added: [], removed: [], changed: [{ path: '/flows/f/release/housing.rentArrearsBand', before: 'keep', after: 'drop' }, { path: '/title', before: 'A', after: 'B' }],
      releaseChanges: [{ flowId: 'f', field: 'housing.rentArrearsBand', change: 'changed', before: 'keep', after: 'drop' }],
    });
    expect(d.release).toEqual([{ flowId: 'f', field: 'housing.rentArrearsBand', kind: 'Released differently', classes: 'govuk-tag--yellow', before: 'keep', after: 'drop' }]);
    expect(d.other.map((o) => o.path)).toEqual(['title']);
  });

  it('navigation shows each person only their sections', () => {
    const person = (roles: string[]) => ({ kind: 'person', userId: 'u', displayName: 'U', roles }) as never;
    expect(navigationFor(person(['coordinator']), '/cases/new').map((n) => [n.text, n.active])).toEqual([['Cases', true], ['Referrals', false], ['Transfers', false], ['Meetings', false], ['Reports', false]]);
    expect(navigationFor(person(['auditor']), '/audit/checkpoint').map((n) => [n.text, n.active])).toEqual([['Audit log', false], ['Checkpoint', true]]);
    expect(navigationFor(undefined, '/')).toEqual([]);
    expect(homeFor(person(['ig_officer', 'auditor']))).toBe('/agreements');
    expect(homeFor(person([]))).toBe('/account');
  });
});
