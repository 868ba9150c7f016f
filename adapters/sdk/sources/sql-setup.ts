/**
 * The standard layout for an agency's SQL source (what the README recommends, and what the tests
 * and the benchmark build): a people table one row per name/date of birth/address, a records table
 * one JSON document per person, the indexes each search kind uses, and the two read-only views the
 * source is configured with. An agency with its own schema writes its own views over it instead,
 * with the same indexes on the underlying columns.
 */
import { STANDARD_COLUMNS } from './documents.js';
import type { SqlSourceConfig } from './sql.js';

export function standardSqlSchema(schema: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error('schema name: lower-case letters, digits and _');
  return `
CREATE SCHEMA IF NOT EXISTS ${schema};
CREATE TABLE ${schema}.people (
  record_id text NOT NULL, nhs_number text, pnc_id text, la_child_id text, upn text,
  given text, other_given text, family text, name_use text, dob date, sex text, postcode text, uprn text);
CREATE TABLE ${schema}.records (record_id text PRIMARY KEY, document jsonb NOT NULL);
CREATE INDEX ON ${schema}.people (record_id);
CREATE INDEX ON ${schema}.people (nhs_number) WHERE nhs_number IS NOT NULL;
CREATE INDEX ON ${schema}.people (pnc_id) WHERE pnc_id IS NOT NULL;
CREATE INDEX ON ${schema}.people (la_child_id) WHERE la_child_id IS NOT NULL;
CREATE INDEX ON ${schema}.people (upn) WHERE upn IS NOT NULL;
CREATE INDEX ON ${schema}.people (dob);
CREATE INDEX ON ${schema}.people (lower(family), lower(given));
CREATE VIEW ${schema}.people_v AS SELECT * FROM ${schema}.people;
CREATE VIEW ${schema}.records_v AS SELECT record_id, document FROM ${schema}.records;
`;
}

export function standardSqlConfig(schema: string, extra: Partial<SqlSourceConfig> = {}): SqlSourceConfig {
  return {
    kind: 'sql',
    people: { view: `${schema}.people_v`, columns: { ...STANDARD_COLUMNS, identifiers: { ...STANDARD_COLUMNS.identifiers } } },
    records: { view: `${schema}.records_v`, columns: { recordId: 'record_id', document: 'document' } },
    ...extra,
  };
}
