import { describe, expect, it } from 'vitest';
import { loadAgency } from '../../../adapters/sdk/respond.js';
import { policeMapping } from '../../../adapters/police/map.js';
import type { PoliceExport } from '../../../adapters/police/native.js';

const ASOF = '2026-11-01';

describe('police mapping facts', () => {
  const tiny: PoliceExport = {
    format: 'POLE-EXPORT', version: '1.0', force: 'test', exportedAt: '2026-11-01T00:00:00Z',
    persons: [
      { personRef: 'V', names: [{ givenName: ['Ada'], surname: 'Quayle', nameType: 'PRIMARY' }], gender: 'GNDR_0001', dateOfBirth: '1990-01-02', alternativeDatesOfBirth: [], addresses: [{ locationRef: 'L1', current: true }] },
      { personRef: 'P', names: [{ givenName: ['Bob'], surname: 'Quayle', nameType: 'PRIMARY' }], gender: 'GNDR_0002', dateOfBirth: '1988-03-04', alternativeDatesOfBirth: [], pncId: '89/0012345X', addresses: [] },
      { personRef: 'X', names: [{ givenName: ['Cy'], surname: 'Other', nameType: 'PRIMARY' }], gender: 'GNDR_0002', dateOfBirth: '2015-03-04', alternativeDatesOfBirth: [], addresses: [] },
    ],
    locations: [{ locationRef: 'L1', uprn: '990000000001', addressLines: ['1 Test Row'], postcode: 'CM1 4ZT' }],
    objects: [{ objectRef: 'O1', objectType: 'SHOTGUN_CERTIFICATE', holderPersonRef: 'P', status: 'HELD', date: '2024-01-01' }],
    events: [
      { eventRef: 'E1', eventType: 'CRIME', occurredOn: '2026-10-01', category: 'DA_ASSAULT', daFlag: true, crimeRef: '42/1/26', summary: 'live one', outcome: 'ONGOING', investigationStatus: 'OPEN', sensitive: true, involved: [{ personRef: 'V', role: 'VICTIM' }, { personRef: 'P', role: 'SUSPECT' }] },
      { eventRef: 'E2', eventType: 'INCIDENT', occurredOn: '2026-03-01', category: 'DA_VERBAL', daFlag: true, summary: 'argument', outcome: 'NFA', investigationStatus: 'CLOSED', sensitive: false, involved: [{ personRef: 'V', role: 'VICTIM' }, { personRef: 'P', role: 'SUSPECT' }] },
      { eventRef: 'E3', eventType: 'INCIDENT', occurredOn: '2025-06-01', category: 'DA_VERBAL', daFlag: true, summary: 'older', outcome: 'NFA', investigationStatus: 'CLOSED', sensitive: false, involved: [{ personRef: 'V', role: 'VICTIM' }] },
      { eventRef: 'E4', eventType: 'CRIME', occurredOn: '2026-05-01', category: 'THEFT', daFlag: false, summary: 'shoplifting', outcome: 'NFA', investigationStatus: 'CLOSED', sensitive: false, involved: [{ personRef: 'P', role: 'OFFENDER' }] },
    ],
    convictions: [
      { personRef: 'P', convictedOn: '2010-01-01', offenceCategory: 'PROPERTY', offenceDescription: 'x', disposal: 'Fine', spent: true },
      { personRef: 'P', convictedOn: '2009-01-01', offenceCategory: 'VIOLENCE', offenceDescription: 'x', disposal: 'Custody', spent: true },
    ],
    orders: [{ orderRef: 'N1', orderType: 'NMO', respondentPersonRef: 'P', protectedPersonRefs: ['V', 'X'], madeOn: '2026-04-01', expires: '2027-04-01' }],
    bail: [{ personRef: 'P', eventRef: 'E1', conditions: ['NO_CONTACT_VICTIM'], grantedOn: '2026-10-02', until: '2027-01-02' }],
    markers: [{ personRef: 'P', code: 'FI', placedOn: '2024-01-01' }],
    dvdsDisclosures: [], mappa: [], addressAlerts: [{ locationRef: 'L1', personRef: 'V', placedOn: '2026-10-05' }],
  };
  const tinyAgency = loadAgency(policeMapping, { 'police-export.json': tiny });
  const all = new Set(['DA_INCIDENTS', 'ORDERS_AND_BAIL', 'CONVICTIONS'] as const);
  const ctx = (subjectId: string, lookbackMonths = 12) => ({
    asOf: ASOF, lookbackMonths, domains: all, subjectId, role: 'VICTIM' as const,
    subjectIdOf: (r: string) => (r === 'V' ? 'subj_v' : r === 'P' ? 'subj_p' : undefined),
    others: [],
  });

  it('counts DA incidents in the window and keeps a live investigation to its bare facts', () => {
    const v = policeMapping.map(tinyAgency.db, 'V', ctx('subj_v'));
    expect(v.sections.police?.incidentCount12m).toBe(2);
    expect(v.sections.police?.incidents).toEqual([
      { date: '2026-10-01', type: 'CRIME', roleOfSubject: 'VICTIM', category: 'DA_ASSAULT', outcome: 'ONGOING' },
      { date: '2026-03-01', type: 'INCIDENT', roleOfSubject: 'VICTIM', category: 'DA_VERBAL', summary: 'argument', outcome: 'NFA' },
    ]);
    expect(v.withheld).toEqual(expect.arrayContaining([
      expect.objectContaining({ fieldPath: 'police.incidents[0].summary', reason: 'LIVE_INVESTIGATION' }),
      expect.objectContaining({ fieldPath: 'police.incidents[0].crimeRef', reason: 'LIVE_INVESTIGATION' }),
    ]));
    expect(v.sections.police?.addressAlertPlaced).toBe(true);
    expect(v.currentInvolvement).toBe(true);
  });

  it('respects the lookback window', () => {
    const v = policeMapping.map(tinyAgency.db, 'V', ctx('subj_v', 24));
    expect(v.sections.police?.incidents).toHaveLength(3);
    expect(v.sections.police?.incidentCount12m).toBe(2);
  });

  it('withholds non-DA events and spent non-violent convictions, names only request subjects in orders', () => {
    const p = policeMapping.map(tinyAgency.db, 'P', ctx('subj_p'));
    const police = p.sections.police!;
    expect(police.convictions).toEqual([{ category: 'VIOLENCE', date: '2009-01-01', disposal: 'Custody' }]);
    expect(police.orders).toEqual([{ type: 'NMO', protectedPersonIds: ['subj_v'], expires: '2027-04-01' }]);
    expect(police.bailConditions).toEqual([{ conditions: ['NO_CONTACT_VICTIM'], until: '2027-01-02' }]);
    expect(police.firearmsCertificateHeld).toBe(true);
    expect(police.markers).toEqual([{ type: 'FIREARMS', date: '2024-01-01' }]);
    expect(p.withheld.map((w) => `${w.fieldPath}:${w.reason}`)).toEqual(expect.arrayContaining([
      'police.incidents:NOT_RELEVANT_TO_CURRENT_RISK', 'police.convictions:NOT_RELEVANT_TO_CURRENT_RISK', 'police.orders[0].protectedPersonIds:THIRD_PARTY',
    ]));
  });

  it('leaves out sections for domains not requested', () => {
    const p = policeMapping.map(tinyAgency.db, 'P', { ...ctx('subj_p'), domains: new Set(['ORDERS_AND_BAIL'] as const) });
    expect(Object.keys(p.sections.police!).sort()).toEqual(['bailConditions', 'orders']);
  });
});
