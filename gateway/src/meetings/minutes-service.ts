/**
 * The minutes of one case at one meeting (docs/decisions/0018): recorded and read by the case's
 * coordinator, sealed like the case's subjects (aad: meeting id and case id), saved over the
 * version the writer read (a stale save is MINUTES_VERSION_CONFLICT and writes nothing). Every
 * save and every read writes its audit event in the same transaction, with ids, the version and
 * the names of the parts filled in: never what anyone said.
 */
import { caseKeyId, openerFor, sealerFor } from '../store/case-keys.js';
import { withTx } from '../store/db.js';
import { ValidationFailed } from '../errors.js';
import type { ExchangeActor } from '../exchange/acting-agency.js';
import { CaseNotOnAgenda, MeetingCancelled, MinutesMeetingNotFound, MinutesVersionConflict } from './action-errors.js';
import { by, coordinatorCase, type MinutesActionsDeps } from './case-scope.js';
import * as repo from './minutes-repo.js';
import { minutesAad } from './sealing.js';
import type { MinutesDocument } from './types.js';

export interface MinutesInput {
  /** The version read before editing; 0 when there were no minutes yet. */
  version: number;
  minutes: MinutesDocument;
}

export interface MinutesView {
  meetingId: string;
  caseId: string;
  /** The meeting's London calendar day, YYYY-MM-DD. */
  meetingDay: string;
  /** 0: nothing recorded yet. */
  version: number;
  minutes: MinutesDocument;
  recordedAt?: string;
  updatedAt?: string;
}

/** The parts of the minutes, in the order the meeting takes them (the victim's voice first). */
export const MINUTES_PARTS = ['victimVoice', 'risks', 'informationShared', 'decisions', 'crimesDisclosed', 'notShared'] as const;


/** Trimmed text; empty parts and rows dropped, so "filled in" means something. */
export function normaliseMinutes(m: MinutesDocument): MinutesDocument {
  const t = (s: string | undefined) => (s && s.trim() ? s.trim() : undefined);
  const out: MinutesDocument = {};
  for (const k of ['victimVoice', 'risks', 'decisions', 'crimesDisclosed'] as const) {
    const v = t(m[k]);
    if (v) out[k] = v;
  }
  const shared = (m.informationShared ?? []).map((s) => ({
    agencyId: s.agencyId, ...(s.requestId ? { requestId: s.requestId } : {}), ...(t(s.note) ? { note: t(s.note)! } : {}),
  }));
  if (shared.length > 0) out.informationShared = shared;
  const notShared = (m.notShared ?? []).map((r) => ({ what: t(r.what) ?? '', why: t(r.why) ?? '' })).filter((r) => r.what || r.why);
  if (notShared.length > 0) out.notShared = notShared;
  return out;
}

export const filledParts = (m: MinutesDocument): string[] => MINUTES_PARTS.filter((p) => m[p] !== undefined);

export function createMinutesService(deps: MinutesActionsDeps) {
  const { pool, audit, sealer } = deps;

  async function listing(q: Parameters<typeof repo.findListing>[0], coordinator: string, meetingId: string, caseId: string, lock = false) {
    const l = await repo.findListing(q, meetingId, caseId, lock);
    if (!l || l.coordinatorAgencyId !== coordinator) throw new MinutesMeetingNotFound('No such meeting');
    if (!l.onAgenda) throw new CaseNotOnAgenda('This case is not on that meeting’s agenda');
    return l;
  }

  async function getMinutes(actor: ExchangeActor, meetingId: string, caseId: string): Promise<MinutesView> {
    return withTx(pool, async (tx) => {
      const { acting, theCase } = await coordinatorCase(tx, actor, caseId, deps.agencies);
      const l = await listing(tx, acting.agencyId, meetingId, caseId);
      const row = await repo.findMinutes(tx, meetingId, caseId);
      const minutes = row ? ((await openerFor(sealer, tx, [row.sealed.keyId])).open(row.sealed, minutesAad(meetingId, caseId)) as MinutesDocument) : {};
      await audit.append(tx, {
        action: 'VIEW_READ',
        actor,
        caseId,
        decision: 'PERMIT',
        subjectTokens: theCase.subjectTokens,
        agencyIds: [acting.agencyId],
        detail: { view: 'minutes', meetingId, version: row?.version ?? 0, parts: filledParts(minutes).join(',') || null },
      });
      return {
        meetingId, caseId, meetingDay: l.meetingDay, version: row?.version ?? 0, minutes,
        ...(row ? { recordedAt: row.recordedAt.toISOString(), updatedAt: row.updatedAt.toISOString() } : {}),
      };
    });
  }

  /** Records (version 0) or replaces (the version read) the case's minutes at the meeting. */
  async function recordMinutes(actor: ExchangeActor, meetingId: string, caseId: string, body: unknown): Promise<MinutesView> {
    deps.validate('case-minutes', body);
    const input = body as MinutesInput;
    const minutes = normaliseMinutes(input.minutes);
    const at = deps.now();
    return withTx(pool, async (tx) => {
      const { acting, theCase } = await coordinatorCase(tx, actor, caseId, deps.agencies);
      const l = await listing(tx, acting.agencyId, meetingId, caseId, true);
      if (l.status === 'CANCELLED') throw new MeetingCancelled('The meeting was cancelled');
      const problems = (minutes.informationShared ?? []).flatMap((s, i) => (s.agencyId ? [] : [{ path: `/minutes/informationShared/${i}/agencyId`, code: 'required', message: 'which agency' }]));
      if (problems.length > 0) throw new ValidationFailed('minutes are not valid', { problems });
      const current = await repo.findMinutes(tx, meetingId, caseId);
      // Under the case's own data key (store/case-keys.ts), destroyed when the case is purged.
      const sealed = (await sealerFor(sealer, tx, caseKeyId(caseId))).seal(minutes, minutesAad(meetingId, caseId));
      let version: number;
      if (!current) {
        if (input.version !== 0) throw new MinutesVersionConflict('These minutes were removed or never saved: reload them', { reason: 'STALE_VERSION' });
        await repo.insertMinutes(tx, { meetingId, caseId, sealed, by: by(actor), at });
        version = 1;
      } else {
        const saved = input.version === current.version
          && await repo.updateMinutes(tx, { meetingId, caseId, sealed, by: by(actor), at, expectedVersion: input.version });
        if (!saved) {
          throw new MinutesVersionConflict('Someone else saved these minutes since you opened them: reload them and make your change again', { reason: 'STALE_VERSION' });
        }
        version = current.version + 1;
      }
      await audit.append(tx, {
        action: 'MINUTES_RECORDED',
        actor,
        caseId,
        decision: 'NONE',
        subjectTokens: theCase.subjectTokens,
        agencyIds: [...new Set([acting.agencyId, ...(minutes.informationShared ?? []).map((s) => s.agencyId)])].slice(0, 100),
        // Which parts were filled in, never what they say.
        detail: { meetingId, version, parts: filledParts(minutes).join(',') || null, notSharedRows: minutes.notShared?.length ?? 0 },
      });
      return {
        meetingId, caseId, meetingDay: l.meetingDay, version, minutes,
        recordedAt: (current?.recordedAt ?? at).toISOString(), updatedAt: at.toISOString(),
      };
    });
  }

  return { getMinutes, recordMinutes };
}

export type MinutesService = ReturnType<typeof createMinutesService>;
