/**
 * The SQL source: an agency's people and records in read-only views in PostgreSQL, mapped by a
 * configuration naming each view and the column of each field (decision 0025).
 *
 *   - Parameterised queries only. View and column names come from the configuration, are checked
 *     against `^[a-z_][a-z0-9_]*$` (a view may be `schema.view`) and double-quoted.
 *   - One index-friendly query per search kind, joined by UNION and keyset-paged on the record id:
 *       identifier        "<id column>" = $n                                   (index on each identifier column)
 *       name + birth date "dob" = ANY($dates) AND (lower("family") = ANY($f) OR lower("given") = ANY($g))
 *                                                                            (index on "dob"; dates with day/month swapped)
 *       full name         lower("family") = ANY($f) AND lower("given") = ANY($g)   (index on (lower(family), lower(given)))
 *       birth date + postcode  "dob" = ANY($dates) AND upper(replace("postcode", ' ', '')) = $p
 *     A query with none of these (the SDK never sends one) finds nobody.
 *   - Each search runs in a READ ONLY transaction with a statement_timeout; cancelling (the
 *     subject's time-out, the runner stopping) cancels the statement on the server.
 *   - Errors carry the SQLSTATE, never the server's message (it can quote a searched value).
 */
import pg from 'pg';
import { AdapterConfigInvalid, SourceAborted, SourceError, SourceQueryFailed, SourceTimeout, SourceUnavailable } from '../errors.js';
import type { DocumentMapping } from '../mapping.js';
import { healthRecorder, type SearchPage, type Source, type SourceHealth, type SourceQuery } from '../source.js';
import { assertColumns, candidateOf, groupRows, parseDocument, type PeopleColumns } from './documents.js';

export interface SqlSourceConfig {
  kind?: 'sql';
  /** postgres://user@host/db (a role with SELECT on the two views only). Or pass a pool. */
  connectionString?: string;
  people: { view: string; columns: PeopleColumns };
  records: { view: string; columns: { recordId: string; document: string } };
  /** Per statement (default 10 000 ms). */
  statementTimeoutMs?: number;
  /** Pool size when the source makes its own pool (default 4). */
  poolSize?: number;
}

export interface SqlSource<Db> extends Source<Db> {
  close(): Promise<void>;
  health(): SourceHealth;
  /** The statements a search would run (for EXPLAIN in benches and tests): text and parameters. */
  plan(q: SourceQuery, pageSize: number, cursor?: string): { text: string; values: unknown[] } | null;
}

const NAME = /^[a-z_][a-z0-9_]*$/;
const quote = (n: string) => `"${n}"`;
const viewName = (v: string) => v.split('.').map(quote).join('.');

export function checkSqlConfig(c: unknown): asserts c is SqlSourceConfig {
  const cfg = c as SqlSourceConfig;
  const problems: string[] = [];
  if (!cfg || typeof cfg !== 'object') throw new AdapterConfigInvalid('source configuration invalid: not an object');
  for (const k of ['people', 'records'] as const) {
    const v = cfg[k]?.view;
    if (typeof v !== 'string' || !v.split('.').every((p) => NAME.test(p)) || v.split('.').length > 2) problems.push(`${k}.view: a view name (schema.view) of lower-case letters, digits and _`);
  }
  if (problems.length) throw new AdapterConfigInvalid(`source configuration invalid: ${problems.join('; ')}`);
  assertColumns(cfg.people.columns, 'people.columns');
  const rc = cfg.records.columns as Record<string, unknown> | undefined;
  for (const k of ['recordId', 'document']) if (typeof rc?.[k] !== 'string' || !NAME.test(rc[k] as string)) problems.push(`records.columns.${k}: a column name`);
  if (cfg.statementTimeoutMs !== undefined && (!Number.isInteger(cfg.statementTimeoutMs) || cfg.statementTimeoutMs < 1)) problems.push('statementTimeoutMs: a positive integer');
  if (problems.length) throw new AdapterConfigInvalid(`source configuration invalid: ${problems.join('; ')}`);
}

function validDate(d: string): boolean {
  const t = Date.parse(`${d}T00:00:00Z`);
  return Number.isFinite(t) && new Date(t).toISOString().slice(0, 10) === d;
}

/** Dates of birth as given and with day and month swapped (a common slip), valid dates only. */
export function dobVariants(dobs: readonly string[]): string[] {
  const out = new Set<string>();
  for (const d of dobs) {
    if (validDate(d)) out.add(d);
    const sw = `${d.slice(0, 4)}-${d.slice(8, 10)}-${d.slice(5, 7)}`;
    if (validDate(sw)) out.add(sw);
  }
  return [...out];
}

function sqlError(e: unknown, what: string): SourceError {
  if (e instanceof SourceError) return e;
  const code = (e as { code?: unknown })?.code;
  if (code === '57014') return new SourceTimeout(`the ${what} query was cancelled or timed out`);
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
    if (/^(08|57P|53|28)/.test(code)) return new SourceUnavailable(`the database refused the ${what} query (SQLSTATE ${code})`);
    return new SourceQueryFailed(`the ${what} query failed (SQLSTATE ${code})`);
  }
  return new SourceUnavailable(`the database cannot be reached for the ${what} query`, { cause: e });
}

export function createSqlSource<Db>(mapping: DocumentMapping<Db>, config: SqlSourceConfig, o: { pool?: pg.Pool } = {}): SqlSource<Db> {
  checkSqlConfig(config);
  if (!o.pool && !config.connectionString) throw new AdapterConfigInvalid('source configuration invalid: connectionString is required');
  const pool = o.pool ?? new pg.Pool({ connectionString: config.connectionString, max: config.poolSize ?? 4 });
  const ownPool = !o.pool;
  pool.on('error', () => undefined);
  const c = config.people.columns;
  const people = viewName(config.people.view);
  const rid = `${quote(c.recordId)}::text`;
  const timeout = config.statementTimeoutMs ?? 10_000;
  const rec = healthRecorder('sql');
  const selectCols = [c.recordId, c.given, c.otherGiven, c.family, c.nameUse, c.dob, c.sex, c.postcode, c.uprn, ...Object.values(c.identifiers ?? {})]
    .filter((x): x is string => !!x);
  const selectList = [...new Set(selectCols)].map((x) => `${quote(x)}::text AS ${quote(x)}`).join(', ');

  function plan(q: SourceQuery, pageSize: number, cursor?: string): { text: string; values: unknown[] } | null {
    const values: unknown[] = [];
    const p = (v: unknown) => {
      values.push(v);
      return `$${values.length}`;
    };
    const parts: string[] = [];
    for (const id of q.identifiers) {
      const col = c.identifiers?.[id.system as keyof NonNullable<PeopleColumns['identifiers']>];
      if (col) parts.push(`SELECT ${rid} AS rid FROM ${people} WHERE ${quote(col)} = ${p(id.value)}`);
    }
    const families = [...new Set(q.names.map((n) => n.family?.trim().toLowerCase()).filter((x): x is string => !!x))];
    const givens = [...new Set(q.names.map((n) => n.given?.[0]?.trim().toLowerCase()).filter((x): x is string => !!x))];
    const dates = c.dob ? dobVariants(q.dobs) : [];
    let datesP: string | undefined;
    const dp = () => (datesP ??= `${p(dates)}::date[]`);
    let famP: string | undefined;
    const fp = () => (famP ??= `${p(families)}::text[]`);
    let givP: string | undefined;
    const gp = () => (givP ??= `${p(givens)}::text[]`);
    const fam = c.family && families.length ? () => `lower(${quote(c.family!)}) = ANY(${fp()})` : null;
    const giv = c.given && givens.length ? () => `lower(${quote(c.given!)}) = ANY(${gp()})` : null;
    if (dates.length && (fam || giv)) {
      const either = [fam?.(), giv?.()].filter(Boolean).join(' OR ');
      parts.push(`SELECT ${rid} AS rid FROM ${people} WHERE ${quote(c.dob!)} = ANY(${dp()}) AND (${either})`);
    }
    if (fam && giv) parts.push(`SELECT ${rid} AS rid FROM ${people} WHERE ${fam()} AND ${giv()}`);
    if (dates.length && q.postcode && c.postcode) {
      parts.push(`SELECT ${rid} AS rid FROM ${people} WHERE ${quote(c.dob!)} = ANY(${dp()}) AND upper(replace(${quote(c.postcode)}, ' ', '')) = ${p(q.postcode)}`);
    }
    if (!parts.length) return null;
    const after = cursor === undefined ? '' : ` WHERE rid > ${p(cursor)}`;
    return { text: `SELECT DISTINCT rid FROM (${parts.join(' UNION ')}) AS found${after} ORDER BY rid LIMIT ${p(pageSize + 1)}`, values };
  }

  /** One read-only transaction with a statement time-out; the signal cancels the statement on the server. */
  async function run<T>(what: string, signal: AbortSignal, f: (cl: pg.PoolClient) => Promise<T>): Promise<T> {
    if (signal.aborted) throw signal.reason instanceof SourceError ? signal.reason : new SourceAborted('cancelled');
    let cl: pg.PoolClient;
    try {
      cl = await pool.connect();
    } catch (e) {
      const err = sqlError(e, what);
      rec.error(err);
      throw err;
    }
    const pid = (cl as unknown as { processID?: number }).processID;
    const cancel = () => {
      if (pid) void pool.query('SELECT pg_cancel_backend($1)', [pid]).catch(() => undefined);
    };
    signal.addEventListener('abort', cancel, { once: true });
    let broken = false;
    try {
      await cl.query('BEGIN READ ONLY');
      await cl.query(`SET LOCAL statement_timeout = ${Math.floor(timeout)}`);
      const out = await f(cl);
      await cl.query('COMMIT');
      rec.contact(true);
      return out;
    } catch (e) {
      await cl.query('ROLLBACK').catch(() => {
        broken = true;
      });
      const err = signal.aborted && signal.reason instanceof SourceError ? signal.reason : sqlError(e, what);
      if (!(err instanceof SourceAborted)) rec.error(err);
      throw err;
    } finally {
      signal.removeEventListener('abort', cancel);
      cl.release(broken);
    }
  }

  return {
    plan,
    async search(q, opts): Promise<SearchPage> {
      const stmt = plan(q, opts.pageSize, opts.cursor);
      rec.h.searches++;
      if (!stmt) return { candidates: [] };
      return run('people', opts.signal, async (cl) => {
        const ids = (await cl.query<{ rid: string }>(stmt.text, stmt.values)).rows.map((r) => r.rid);
        const more = ids.length > opts.pageSize;
        const page = more ? ids.slice(0, opts.pageSize) : ids;
        if (!page.length) return { candidates: [] };
        const rows = (await cl.query<Record<string, string | null>>(`SELECT ${selectList} FROM ${people} WHERE ${rid} = ANY($1::text[]) ORDER BY ${rid}`, [page])).rows;
        const groups = groupRows(rows, c.recordId);
        const candidates = page.filter((id) => groups.has(id)).map((id) => candidateOf(groups.get(id)!, c));
        return { candidates, ...(more ? { nextCursor: page[page.length - 1]! } : {}) };
      });
    },
    async read(ids, opts) {
      rec.h.reads++;
      const r = config.records;
      const docs = await run('records', opts.signal, async (cl) => (await cl.query<{ rid: string; doc: string | null }>(
        `SELECT ${quote(r.columns.recordId)}::text AS rid, ${quote(r.columns.document)}::text AS doc FROM ${viewName(r.view)} WHERE ${quote(r.columns.recordId)}::text = ANY($1::text[])`,
        [ids],
      )).rows);
      const map = new Map<string, unknown>();
      for (const d of docs) map.set(d.rid, parseDocument(d.doc, d.rid));
      return mapping.fromDocuments(map);
    },
    health: () => rec.snapshot(),
    async close() {
      if (ownPool) await pool.end();
    },
  };
}
