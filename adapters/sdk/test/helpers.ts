/** A tiny agency for the SDK's own tests: people with one JSON document each. */
import type { DocumentMapping } from '../mapping.js';
import type { CandidatePerson } from '../matching/types.js';
import type { GatewayClient } from '../client.js';
import type { Decline, InboxMessage, RequestSubject, ResearchResponse } from '../types.js';

export interface TinyDb { notes: Map<string, string> }

export const tinyMapping: DocumentMapping<TinyDb> & { load(files: Record<string, unknown>): TinyDb; candidates(db: TinyDb): CandidatePerson[] } = {
  name: 'tiny',
  agencyType: 'IDVA',
  payloadKeys: ['idva'],
  domains: ['VICTIM_VIEWS'],
  load: (files) => ({ notes: new Map(Object.entries(files['tiny.json'] as Record<string, string>)) }),
  candidates: () => PEOPLE,
  fromDocuments: (docs) => ({ notes: new Map([...docs].map(([id, d]) => [id, (d as { note: string }).note])) }),
  document: (db, id) => ({ note: db.notes.get(id) }),
  held: () => ({}),
  map: (db, id) => ({ sections: { idva: { victimViews: db.notes.get(id) ?? 'none' } }, withheld: [], currentInvolvement: false }),
};

export const PEOPLE: CandidatePerson[] = [
  { recordId: 'R1', names: [{ given: ['Ada'], family: 'Quayle', use: 'official' }], dobs: ['1990-01-02'], identifiers: [{ system: 'nhs-number', value: '9434765919' }], postcodes: ['CM1 2AB'] },
  { recordId: 'R2', names: [{ given: ['Bob'], family: 'Quayle', use: 'official' }], dobs: ['1988-05-06'], identifiers: [] },
  { recordId: 'R3', names: [{ given: ['Cara'], family: 'Ng', use: 'official' }], dobs: ['2001-11-12'], identifiers: [] },
];

export const ada: RequestSubject = { subjectId: 'subj_v', role: 'VICTIM', names: [{ given: ['Ada'], family: 'Quayle' }], dobs: ['1990-01-02'], identifiers: [{ system: 'nhs-number', value: '9434765919' }] };
export const bob: RequestSubject = { subjectId: 'subj_p', role: 'PERPETRATOR', names: [{ given: ['Bob'], family: 'Quayle' }], dobs: ['1988-05-06'] };
export const districtOnly: RequestSubject = { subjectId: 'subj_c', role: 'CHILD', address: 'CM1' };

export function message(subjects: RequestSubject[], n = 1): InboxMessage {
  const h = n.toString(16).padStart(32, '0');
  return {
    messageId: `msg_${h}`, requestId: `req_${h}`, caseId: `case_${h}`, kind: 'RESEARCH_REQUEST', purpose: 'MARAC_RESEARCH', deadline: '2026-12-15T17:00:00Z',
    request: { purpose: 'MARAC_RESEARCH', meetingDate: '2026-12-16', deadline: '2026-12-15T17:00:00Z', lookbackMonths: 12, requestedDomains: ['VICTIM_VIEWS'], subjects },
  };
}

/** A gateway client in memory: one message offered once, answers recorded. */
export function fakeClient(msgs: InboxMessage[]) {
  const responded: { requestId: string; response: ResearchResponse; key: string }[] = [];
  const declined: { requestId: string; decline: Decline; key: string }[] = [];
  let offered = false;
  const client = {
    async pollInbox(_w: number, signal?: AbortSignal) {
      if (!offered) {
        offered = true;
        return msgs;
      }
      await new Promise<void>((r) => signal?.addEventListener('abort', () => r(), { once: true }));
      return [];
    },
    async ack(messageId: string) {
      return { messageId, state: 'acknowledged' };
    },
    async respond(requestId: string, response: ResearchResponse, key: string) {
      responded.push({ requestId, response, key });
      return { requestId, state: 'responded' };
    },
    async decline(requestId: string, decline: Decline, key: string) {
      declined.push({ requestId, decline, key });
      return { requestId, state: 'declined' };
    },
    close() {},
  } as unknown as GatewayClient;
  return { client, responded, declined };
}

