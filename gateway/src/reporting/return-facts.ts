/**
 * The per-case flags the SafeLives MARAC data return counts (migration 0020, decision 0020).
 *
 * What the return asks about (the victim's age band, sex, ethnicity, sexuality, disability, the
 * children in the household) is sealed with the case and its referral. A quarter's return cannot
 * open every case, so each case keeps a row of coarse, non-identifying flags, written in the same
 * transaction as the case is opened, edited or accepted from a referral: booleans, a count of
 * children, the referring agency's id and type. Never a name, a date, an age, an ethnic group.
 *
 * `refreshReturnFacts` reads the case (and its referral, if any) inside the caller's transaction,
 * opens them, derives the flags and upserts the row: one call at each write point.
 */
import { openerFor } from '../store/case-keys.js';
import type { Queryable, Tx } from '../store/db.js';
import { withTx } from '../store/db.js';
import type pg from 'pg';
import type { Sealed } from '../store/sealed-box.js';

/** Anything that opens a sealed box (the gateway's sealer). */
export interface Opener {
  open(box: Sealed, aad: string): unknown;
}

export interface ReturnFacts {
  referringAgencyId: string | null;
  referringAgencyType: string | null;
  repeat: boolean;
  victim1617: boolean;
  victimMale: boolean;
  bme: boolean;
  lgbt: boolean;
  disabled: boolean;
  childrenCount: number;
}

/** The equality answers of a referral (referral.schema.json#/properties/equality). */
export interface Equality {
  gender?: string;
  age?: number;
  ethnicity?: string;
  disability?: string;
  sexualOrientation?: string;
  pregnancy?: string;
}

interface SubjectLike {
  role: string;
  dobs?: string[];
  sexOrGender?: string;
}

/** Black and minoritised: every group the form offers but White (and not known / not said). */
export const BME_ETHNICITIES: readonly string[] = ['ASIAN_OR_ASIAN_BRITISH', 'BLACK_OR_BLACK_BRITISH', 'MIXED_OR_MULTIPLE', 'OTHER_ETHNIC_GROUP'];
/** LGBT+: a sexual orientation other than heterosexual (known and said), or a non-binary gender. */
export const LGBT_ORIENTATIONS: readonly string[] = ['GAY_OR_LESBIAN', 'BISEXUAL', 'OTHER'];
export const LGBT_GENDERS: readonly string[] = ['NON_BINARY'];

/** Whole years from `dob` to `day` (both YYYY-MM-DD); undefined for a malformed date. */
export function ageOn(dob: string, day: string): number | undefined {
  const a = /^(\d{4})-(\d{2})-(\d{2})$/.exec(dob);
  const b = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!a || !b) return undefined;
  let years = Number(b[1]) - Number(a[1]);
  if (b[2]! < a[2]! || (b[2] === a[2] && b[3]! < a[3]!)) years -= 1;
  return years;
}

/**
 * The flags from the case's subjects and (when the case came from a referral) the referral's
 * equality data. The age band is the victim's age when the case was opened (`openedOn`): the
 * referral's stated age first, else the victim's first date of birth. Sex: the equality gender
 * when given, else the victim's recorded sex. Ethnicity, sexuality and disability come only from
 * the equality data: never guessed.
 */
export function deriveFacts(input: {
  subjects: readonly SubjectLike[];
  equality?: Equality | undefined;
  openedOn: string;
  repeat: boolean;
  referringAgencyId?: string | null;
  referringAgencyType?: string | null;
}): ReturnFacts {
  const victim = input.subjects.find((s) => s.role === 'VICTIM');
  const eq = input.equality ?? {};
  const dob = victim?.dobs?.[0];
  const age = typeof eq.age === 'number' ? eq.age : dob ? ageOn(dob, input.openedOn) : undefined;
  const knownGender = eq.gender && !['NOT_KNOWN', 'PREFER_NOT_TO_SAY'].includes(eq.gender) ? eq.gender : undefined;
  const male = knownGender ? knownGender === 'MALE' : victim?.sexOrGender === 'M';
  return {
    referringAgencyId: input.referringAgencyId ?? null,
    referringAgencyType: input.referringAgencyType ?? null,
    repeat: input.repeat,
    victim1617: age === 16 || age === 17,
    victimMale: male,
    bme: eq.ethnicity !== undefined && BME_ETHNICITIES.includes(eq.ethnicity),
    lgbt: (eq.sexualOrientation !== undefined && LGBT_ORIENTATIONS.includes(eq.sexualOrientation))
      || (eq.gender !== undefined && LGBT_GENDERS.includes(eq.gender)),
    disabled: eq.disability === 'YES',
    childrenCount: Math.min(20, input.subjects.filter((s) => s.role === 'CHILD').length),
  };
}

const LONDON_DAY = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' });

/** The 12 months before `day` (YYYY-MM-DD), as in the case list's repeat flag. */
function monthsBefore(day: string, months: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const total = y * 12 + (m - 1) - months;
  return `${String(Math.floor(total / 12)).padStart(4, '0')}-${String((total % 12) + 1).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/**
 * Recomputes and stores one case's return flags inside the caller's transaction (or savepoint):
 * the case opened, edited, or accepted from a referral. Reads the case and its referral in `q`
 * so it sees the caller's uncommitted writes.
 */
export async function refreshReturnFacts(q: Queryable, sealer: Opener, caseId: string): Promise<ReturnFacts> {
  const c = await q.query(
    `SELECT c.coordinator_agency_id, c.risk_basis, c.created_at, c.subjects_key_id, c.subjects_iv, c.subjects_tag, c.subjects_ciphertext,
            r.id AS referral_id, r.referring_agency_id, a.type AS referring_agency_type,
            r.sealed_key_id, r.sealed_iv, r.sealed_tag, r.sealed_ciphertext,
            EXISTS (SELECT 1 FROM referral_repeat_matches rm WHERE rm.referral_id = r.id AND rm.status = 'CONFIRMED') AS confirmed_repeat
       FROM cases c
       LEFT JOIN referrals r ON r.case_id = c.id
       LEFT JOIN agencies a ON a.id = r.referring_agency_id
      WHERE c.id = $1`,
    [caseId],
  );
  const row = c.rows[0];
  if (!row) throw new Error('refreshReturnFacts: no such case');
  const opener = await openerFor(sealer, q, [row.subjects_key_id, row.sealed_key_id]);
  const sealed = opener.open({ keyId: row.subjects_key_id, iv: row.subjects_iv, tag: row.subjects_tag, ciphertext: row.subjects_ciphertext }, caseId) as { subjects: SubjectLike[] };
  const referral = row.referral_id
    ? opener.open({ keyId: row.sealed_key_id, iv: row.sealed_iv, tag: row.sealed_tag, ciphertext: row.sealed_ciphertext }, row.referral_id) as { equality?: Equality }
    : undefined;
  const openedOn = LONDON_DAY.format(row.created_at as Date);
  const rb = (row.risk_basis ?? {}) as { criteria?: string[]; lastMaracReferralDate?: string };
  const repeat = row.confirmed_repeat === true
    || (rb.criteria ?? []).includes('REPEAT')
    || (typeof rb.lastMaracReferralDate === 'string' && rb.lastMaracReferralDate > monthsBefore(openedOn, 12));
  const facts = deriveFacts({
    subjects: sealed.subjects,
    equality: referral?.equality,
    openedOn,
    repeat,
    referringAgencyId: row.referring_agency_id ?? null,
    referringAgencyType: row.referring_agency_type ?? null,
  });
  await q.query(
    `INSERT INTO case_return_facts (case_id, coordinator_agency_id, referring_agency_id, referring_agency_type, repeat,
       victim_16_17, victim_male, bme, lgbt, disabled, children_count, computed_at)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11, now())
     ON CONFLICT (case_id) DO UPDATE SET coordinator_agency_id = EXCLUDED.coordinator_agency_id,
       referring_agency_id = EXCLUDED.referring_agency_id, referring_agency_type = EXCLUDED.referring_agency_type,
       repeat = EXCLUDED.repeat, victim_16_17 = EXCLUDED.victim_16_17, victim_male = EXCLUDED.victim_male, bme = EXCLUDED.bme,
       lgbt = EXCLUDED.lgbt, disabled = EXCLUDED.disabled, children_count = EXCLUDED.children_count, computed_at = now()`,
    [caseId, row.coordinator_agency_id, facts.referringAgencyId, facts.referringAgencyType, facts.repeat,
      facts.victim1617, facts.victimMale, facts.bme, facts.lgbt, facts.disabled, facts.childrenCount],
  );
  return facts;
}

/**
 * Cases from before migration 0020 have no row: the first return that counts them writes it
 * (each case in its own short transaction, locked so two producers do not race). Only the cases
 * the return needs: those heard at this coordinator's meetings in [from, to).
 */
export async function backfillReturnFacts(pool: pg.Pool, sealer: Opener, coordinatorAgencyId: string, from: Date, to: Date): Promise<number> {
  const r = await pool.query(
    `SELECT DISTINCT mc.case_id
       FROM meetings m JOIN meeting_cases mc ON mc.meeting_id = m.id AND mc.outcome = 'HEARD'
      WHERE m.coordinator_agency_id = $1 AND m.starts_at >= $2 AND m.starts_at < $3
        AND NOT EXISTS (SELECT 1 FROM case_return_facts f WHERE f.case_id = mc.case_id)`,
    [coordinatorAgencyId, from, to],
  );
  for (const { case_id: id } of r.rows as { case_id: string }[]) {
    await withTx(pool, async (tx: Tx) => {
      await tx.query('SELECT 1 FROM cases WHERE id = $1 FOR NO KEY UPDATE', [id]);
      await refreshReturnFacts(tx, sealer, id);
    });
  }
  return r.rowCount ?? 0;
}
