/**
 * Agency data for the SQL and CSV sources in tests: an adapter's synthetic export written to the
 * standard SQL layout (adapters/sdk/sources/sql-setup.ts) or to a CSV export in a folder.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { exportRecords } from '../../adapters/sdk/sources/documents.js';
import { toCsv } from '../../adapters/sdk/sources/csv-parse.js';
import { standardSqlSchema } from '../../adapters/sdk/sources/sql-setup.js';
import type { CandidatePerson } from '../../adapters/sdk/matching/types.js';

type Exportable<Db> = { candidates(db: Db): CandidatePerson[]; document(db: Db, recordId: string): unknown };

/** Creates `schema` (tables, indexes, views) and loads every record of `db`. */
export async function seedSqlAgency<Db>(pool: pg.Pool, schema: string, mapping: Exportable<Db>, db: Db): Promise<number> {
  await pool.query(standardSqlSchema(schema));
  const { rows } = exportRecords(mapping, db);
  const people = rows.map(({ document: _d, ...r }) => r);
  const docs = rows.filter((r) => r.document !== null).map((r) => ({ record_id: r.record_id, document: r.document }));
  await pool.query(`INSERT INTO ${schema}.people SELECT * FROM jsonb_populate_recordset(null::${schema}.people, $1::jsonb)`, [JSON.stringify(people)]);
  await pool.query(`INSERT INTO ${schema}.records SELECT record_id, document::jsonb FROM jsonb_to_recordset($1::jsonb) AS x(record_id text, document text)`, [JSON.stringify(docs)]);
  await pool.query(`ANALYZE ${schema}.people`);
  return docs.length;
}

/** Writes `db` as a CSV export named `name` in a new folder (or `folder`); returns the folder. */
export function writeCsvAgency<Db>(mapping: Exportable<Db>, db: Db, name = 'export.csv', folder = mkdtempSync(join(tmpdir(), 'agency-csv-'))): string {
  const { header, rows } = exportRecords(mapping, db);
  writeFileSync(join(folder, name), toCsv(header, rows));
  return folder;
}
