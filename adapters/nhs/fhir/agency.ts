/**
 * The NHS adapter over FHIR, plugged into the SDK's runner as the SDK stands today (a loaded agency
 * answered synchronously by `buildResponse`):
 *
 *   - the gateway client is wrapped: each polled message is first gathered from the FHIR server
 *     (source.ts) into a store of its own, then handed to the runner; a message whose gathering
 *     fails (FHIR down, authentication refused) is not handed over, not acknowledged and not
 *     answered: the gateway offers it again, and the failure is in the adapter's health;
 *   - the agency's matcher and mapping look the store up by the subject (same object) and by the
 *     record id, which carries the message id, so messages answered concurrently never mix;
 *   - a patient record that failed its profile check is noted on the subject its search was for,
 *     when the answer is sent (the runner has validated the rest; the note is schema-valid);
 *   - the store is dropped when the runner reports the message answered, declined or given up.
 *
 * Pull mode only, without a durable journal (a journaled message read back after a restart has no
 * store: it would be declined), until the SDK's asynchronous search contract replaces this glue.
 */
import type { GatewayClient } from '../../sdk/client.js';
import type { AgencyMapping, MappedSubject } from '../../sdk/mapping.js';
import { createMatcher, type Matcher } from '../../sdk/matching/matcher.js';
import type { CandidatePerson, SubjectQuery } from '../../sdk/matching/types.js';
import type { LoadedAgency } from '../../sdk/respond.js';
import type { RunnerEvent } from '../../sdk/runner.js';
import type { InboxMessage, ResearchResponse } from '../../sdk/types.js';
import { mapNhsSubject, nhsMapping, type NhsDb } from '../map.js';
import type { FhirClient } from './client.js';
import { gather, type Gathered } from './source.js';

export interface FhirHealth {
  lastContactAt?: string;
  lastSuccessAt?: string;
  /** The last 20 failures: stable code, message (no personal data), when. */
  errors: { at: string; code: string; message: string }[];
  /** Messages polled but left unanswered because the FHIR source failed (the gateway offers them again). */
  backlog: number;
  searches: number;
  patientsRead: number;
  /** Resources that failed their UK Core check, by resource type and by rule. */
  withheldResources: number;
  withheldByType: Record<string, number>;
  withheldByRule: Record<string, number>;
  truncatedSearches: number;
}

interface Store extends Gathered {
  matcher: Matcher;
  /** recordId (`<messageId>~<patientId>`) → the per-message db keyed the same way. */
  prefixedDb: NhsDb;
}

const SEP = '~';

export interface FhirNhsAgency {
  agency: LoadedAgency;
  /** The gateway client the runner must use (gathers each polled message first). */
  wrapClient(client: GatewayClient): GatewayClient;
  /** Pass the runner's events here (frees a message's store once it is answered). */
  onEvent(e: RunnerEvent): void;
  health(): FhirHealth;
}

export function createFhirNhsAgency(o: { client: FhirClient; now?: () => Date; failureBackoffMs?: { initial: number; max: number } }): FhirNhsAgency {
  const stores = new Map<string, Store>();
  const bySubject = new WeakMap<object, Store>();
  const now = o.now ?? (() => new Date());
  const backoff = o.failureBackoffMs ?? { initial: 1000, max: 60_000 };
  let consecutiveFailures = 0;
  const h: FhirHealth = { errors: [], backlog: 0, searches: 0, patientsRead: 0, withheldResources: 0, withheldByType: {}, withheldByRule: {}, truncatedSearches: 0 };
  const failed = new Set<string>();

  const storeOf = (recordId: string): Store => {
    const s = stores.get(recordId.slice(0, recordId.indexOf(SEP)));
    if (!s) throw new Error('no FHIR data gathered for this message');
    return s;
  };

  const mapping: AgencyMapping<null> = {
    ...nhsMapping,
    load: () => null,
    candidates: () => [],
    held: (_db, recordId) => nhsMapping.held(storeOf(recordId).prefixedDb, recordId),
    map(_db, recordId, ctx): MappedSubject {
      const store = storeOf(recordId);
      const mapped = mapNhsSubject(store.prefixedDb, recordId, ctx);
      const extra = store.withheldByPatient.get(recordId.slice(recordId.indexOf(SEP) + 1)) ?? [];
      return { ...mapped, withheld: [...mapped.withheld, ...extra] };
    },
  };
  const matcher: Matcher = {
    size: 0,
    match(s: SubjectQuery) {
      const store = bySubject.get(s);
      if (!store) throw new Error('no FHIR data gathered for this subject');
      return store.matcher.match(s);
    },
  };

  async function prepare(msg: InboxMessage, signal?: AbortSignal): Promise<void> {
    const asOf = now().toISOString().slice(0, 10);
    const g = await gather(o.client, msg.request.subjects, { asOf, lookbackMonths: msg.request.lookbackMonths, ...(signal ? { signal } : {}) });
    const prefix = `${msg.messageId}${SEP}`;
    const prefixedDb: NhsDb = { patients: new Map([...g.db.patients].map(([id, rec]) => [prefix + id, rec])) };
    const candidates: CandidatePerson[] = g.candidates.map((c) => ({ ...c, recordId: prefix + c.recordId }));
    const store: Store = { ...g, prefixedDb, matcher: createMatcher(candidates) };
    stores.set(msg.messageId, store);
    for (const s of msg.request.subjects) bySubject.set(s, store);
    h.searches += g.searches;
    h.patientsRead += g.db.patients.size;
    if (g.truncated) h.truncatedSearches++;
    for (const f of g.failures) {
      h.withheldResources++;
      h.withheldByType[f.resourceType] = (h.withheldByType[f.resourceType] ?? 0) + 1;
      for (const r of f.rules) h.withheldByRule[r] = (h.withheldByRule[r] ?? 0) + 1;
    }
  }

  function recordError(e: unknown) {
    const code = typeof (e as { code?: unknown })?.code === 'string' ? (e as { code: string }).code : 'FHIR_SOURCE_ERROR';
    const message = e instanceof Error ? e.message : String(e);
    h.errors.push({ at: now().toISOString(), code, message });
    if (h.errors.length > 20) h.errors.shift();
  }

  const sleep = (ms: number, signal?: AbortSignal) => new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });

  return {
    agency: { mapping: mapping as AgencyMapping<unknown>, db: null, matcher },
    health: () => ({ ...h, errors: [...h.errors], withheldByType: { ...h.withheldByType }, withheldByRule: { ...h.withheldByRule }, backlog: failed.size }),
    onEvent(e) {
      if (e.type === 'answered' || e.type === 'declined' || e.type === 'gave-up') {
        stores.delete(e.messageId);
        failed.delete(e.messageId);
      }
    },
    wrapClient(inner) {
      return {
        ...inner,
        async pollInbox(waitSeconds, signal) {
          const msgs = await inner.pollInbox(waitSeconds, signal);
          const ready: InboxMessage[] = [];
          for (const m of msgs) {
            if (stores.has(m.messageId)) {
              ready.push(m);
              continue;
            }
            try {
              await prepare(m, signal);
              h.lastContactAt = h.lastSuccessAt = now().toISOString();
              failed.delete(m.messageId);
              consecutiveFailures = 0;
              ready.push(m);
            } catch (e) {
              if (signal?.aborted) break;
              recordError(e);
              failed.add(m.messageId);
              consecutiveFailures++;
            }
          }
          // The source is failing: wait before polling again rather than hammer it (and its token endpoint).
          if (!ready.length && consecutiveFailures) await sleep(Math.min(backoff.max, backoff.initial * 2 ** (consecutiveFailures - 1)), signal);
          return ready;
        },
        async respond(requestId, response: ResearchResponse, idempotencyKey) {
          const store = stores.get(idempotencyKey.replace(/^rsp\./, ''));
          if (store && store.withheldBySubject.size) {
            response = {
              ...response,
              subjectResults: response.subjectResults.map((r) => {
                const extra = store.withheldBySubject.get(r.subjectId);
                return extra ? { ...r, withheld: [...r.withheld, ...extra] } : r;
              }),
            };
          }
          return inner.respond(requestId, response, idempotencyKey);
        },
      };
    },
  };
}
