/**
 * The steering group's dashboard for one coordinator (issue 14): cases discussed per month and
 * the repeat rate over the last 12 months, research turnaround per agency (message created →
 * answered), answers overdue now and actions overdue now per agency. Aggregates in SQL over
 * plaintext ids, dates and states, and the return flags: nothing is opened, nothing personal.
 * Viewing it is audited (DATA_RETURN_PRODUCED, format `dashboard`) in the transaction that read it.
 */
import { withTx } from '../store/db.js';
import type { ExchangeActor } from '../exchange/acting-agency.js';
import type { DataReturnService, ReportingDeps } from './data-return.js';
import { backfillReturnFacts } from './return-facts.js';
import { londonMidnight } from './quarter.js';

export interface MonthRow {
  /** YYYY-MM */
  month: string;
  cases: number;
  repeats: number;
  /** Whole percent, null for no cases. */
  repeatRate: number | null;
}

export interface AgencyRow {
  agencyId: string;
  answered: number;
  /** Median hours from a request reaching the gateway to its answer (null: none answered). */
  medianHours: number | null;
  answeredLate: number;
  overdueAnswers: number;
  openActions: number;
  overdueActions: number;
}

export interface Dashboard {
  coordinatorAgencyId: string;
  maracArea: string;
  /** London day the figures are as of. */
  asOf: string;
  months: MonthRow[];
  agencies: AgencyRow[];
  totals: { cases: number; repeats: number; repeatRate: number | null };
}

const LONDON = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' });

/** The first days of the 12 London months ending with the one `today` is in, oldest first. */
export function lastTwelveMonths(today: string): string[] {
  const [y, m] = today.split('-').map(Number) as [number, number];
  const out: string[] = [];
  for (let k = 11; k >= 0; k--) {
    const t = y * 12 + (m - 1) - k;
    out.push(`${Math.floor(t / 12)}-${String((t % 12) + 1).padStart(2, '0')}`);
  }
  return out;
}

const rate = (cases: number, repeats: number) => (cases === 0 ? null : Math.round((100 * repeats) / cases));

export function createDashboardService(deps: ReportingDeps & { returns: DataReturnService }) {
  async function read(actor: ExchangeActor): Promise<Dashboard> {
    const who = await deps.returns.coordinatorOf(actor);
    const now = deps.now();
    const today = LONDON.format(now);
    const months = lastTwelveMonths(today);
    const from = londonMidnight(`${months[0]}-01`);
    const [ny, nm] = months[11]!.split('-').map(Number) as [number, number];
    const to = londonMidnight(nm === 12 ? `${ny + 1}-01-01` : `${ny}-${String(nm + 1).padStart(2, '0')}-01`);
    await backfillReturnFacts(deps.pool, deps.sealer, who.agencyId, from, to);

    return withTx(deps.pool, async (tx) => {
      const perMonth = await tx.query(
        `WITH heard AS (
           SELECT DISTINCT to_char(m.starts_at AT TIME ZONE 'Europe/London', 'YYYY-MM') AS month, mc.case_id
             FROM meetings m JOIN meeting_cases mc ON mc.meeting_id = m.id AND mc.outcome = 'HEARD'
            WHERE m.coordinator_agency_id = $1 AND m.starts_at >= $2 AND m.starts_at < $3 AND m.status <> 'CANCELLED')
         SELECT h.month, count(*)::int AS cases, count(*) FILTER (WHERE f.repeat)::int AS repeats
           FROM heard h LEFT JOIN case_return_facts f ON f.case_id = h.case_id
          GROUP BY h.month`,
        [who.agencyId, from, to],
      );
      const byMonth = new Map(perMonth.rows.map((r) => [r.month as string, r as { cases: number; repeats: number }]));
      const monthRows: MonthRow[] = months.map((month) => {
        const r = byMonth.get(month);
        const cases = r?.cases ?? 0;
        const repeats = r?.repeats ?? 0;
        return { month, cases, repeats, repeatRate: rate(cases, repeats) };
      });

      const research = await tx.query(
        `SELECT m.recipient_agency_id AS agency_id,
                count(*) FILTER (WHERE m.answered_at >= $2)::int AS answered,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM m.answered_at - m.created_at))
                  FILTER (WHERE m.answered_at >= $2) AS median_seconds,
                count(*) FILTER (WHERE m.answered_at >= $2 AND m.late)::int AS answered_late,
                count(*) FILTER (WHERE m.state = 'overdue'
                  OR (m.state IN ('queued', 'delivered', 'acknowledged') AND m.deadline < $3))::int AS overdue
           FROM messages m
          WHERE m.sender_agency_id = $1 AND (m.answered_at >= $2 OR m.state IN ('overdue', 'queued', 'delivered', 'acknowledged'))
          GROUP BY 1`,
        [who.agencyId, from, now],
      );
      const actions = await tx.query(
        `SELECT a.owner_agency_id AS agency_id, count(*)::int AS open, count(*) FILTER (WHERE a.due_on < $2::date)::int AS overdue
           FROM case_actions a JOIN cases c ON c.id = a.case_id
          WHERE c.coordinator_agency_id = $1 AND a.status = 'OPEN'
          GROUP BY 1`,
        [who.agencyId, today],
      );
      const agencies = new Map<string, AgencyRow>();
      const row = (id: string) => {
        let r = agencies.get(id);
        if (!r) agencies.set(id, (r = { agencyId: id, answered: 0, medianHours: null, answeredLate: 0, overdueAnswers: 0, openActions: 0, overdueActions: 0 }));
        return r;
      };
      for (const x of research.rows) {
        const r = row(x.agency_id);
        r.answered = x.answered;
        r.medianHours = x.median_seconds === null ? null : Math.round((Number(x.median_seconds) / 3600) * 10) / 10;
        r.answeredLate = x.answered_late;
        r.overdueAnswers = x.overdue;
      }
      for (const x of actions.rows) {
        const r = row(x.agency_id);
        r.openActions = x.open;
        r.overdueActions = x.overdue;
      }
      const cases = monthRows.reduce((s, m) => s + m.cases, 0);
      const repeats = monthRows.reduce((s, m) => s + m.repeats, 0);
      await deps.audit.append(tx, {
        action: 'DATA_RETURN_PRODUCED',
        actor,
        decision: 'NONE',
        agencyIds: [who.agencyId],
        detail: { format: 'dashboard', from: months[0]!, to: months[11]!, casesDiscussed: cases },
      });
      return {
        coordinatorAgencyId: who.agencyId,
        maracArea: who.maracArea,
        asOf: today,
        months: monthRows,
        agencies: [...agencies.values()].sort((a, b) => (a.agencyId < b.agencyId ? -1 : 1)),
        totals: { cases, repeats, repeatRate: rate(cases, repeats) },
      };
    });
  }
  return { read };
}

export type DashboardService = ReturnType<typeof createDashboardService>;
