/**
 * @marac/adapter-sdk: everything an agency adapter needs and nothing agency-specific. See README.md.
 */
export * from './types.js';
export type { ProblemDetail } from '@marac/schemas';
export * from './matching/index.js';
export * from './errors.js';
export * from './mapping.js';
export * from './respond.js';
export * from './validate.js';
export * from './client.js';
export * from './journal.js';
export * from './runner.js';
export * from './source.js';
export { createMemorySource } from './sources/memory.js';
export { indexPeople, indexedSource, subjectOfQuery, type PeopleIndex } from './sources/indexed.js';
export * from './sources/documents.js';
export { parseCsv, parseCsvObjects, toCsv, csvField } from './sources/csv-parse.js';
export { createCsvSource, checkCsvConfig, type CsvSource, type CsvSourceConfig } from './sources/csv.js';
export { createSqlSource, checkSqlConfig, dobVariants, type SqlSource, type SqlSourceConfig } from './sources/sql.js';
export { standardSqlSchema, standardSqlConfig } from './sources/sql-setup.js';
export * from './push-receiver.js';
export * from './health-server.js';
export * from './config.js';
export * from './data.js';
export * from './self-check.js';
export { startAdapter, runAdapterMain, agencyOf, type AdapterDefinition, type RunningAdapter } from './cli.js';
export { sourceFromConfig } from './sources/from-config.js';
