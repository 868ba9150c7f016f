/** The CSV file source: the newest export in a folder, indexed by identifier and name + date of birth, reloaded when a new one is dropped. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCsvSource, type CsvSource } from '../sources/csv.js';
import { exportRecords, STANDARD_COLUMNS } from '../sources/documents.js';
import { toCsv } from '../sources/csv-parse.js';
import { sourceQueryOf } from '../source.js';
import { answerRequest } from '../respond.js';
import { PEOPLE, ada, bob, message, tinyMapping, type TinyDb } from './helpers.js';

const db: TinyDb = { notes: new Map([['R1', 'line one\nline two, with "quotes"'], ['R2', 'n/a'], ['R3', 'n/a']]) };
const columns = { ...STANDARD_COLUMNS, document: 'document' };
const signal = new AbortController().signal;
let dir: string;
let src: CsvSource<TinyDb> | undefined;

function write(name: string, people = PEOPLE, when = Date.now() / 1000) {
  const { header, rows } = exportRecords({ candidates: () => people, document: tinyMapping.document }, db);
  writeFileSync(join(dir, name), toCsv(header, rows));
  utimesSync(join(dir, name), when, when);
}

afterEach(async () => {
  await src?.close();
  src = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe('CSV source', () => {
  it('serves the newest export: search by identifier and by name with date of birth, read the chosen documents', async () => {
    dir = mkdtempSync(join(tmpdir(), 'csv-src-'));
    write('export-2026-12-01.csv', PEOPLE.slice(1), Date.now() / 1000 - 86_400);
    write('export-2026-12-02.csv');
    writeFileSync(join(dir, 'export-2026-12-03.csv.part'), 'not,finished\n"');
    src = createCsvSource(tinyMapping, { folder: dir, columns, watch: false });
    const byId = await src.search(sourceQueryOf({ subjectId: 's', role: 'VICTIM', identifiers: ada.identifiers! })!, { signal, pageSize: 10 });
    expect(byId.candidates.map((c) => c.recordId)).toEqual(['R1']);
    expect(byId.candidates[0]).toMatchObject({ names: [{ given: ['Ada'], family: 'Quayle', use: 'official' }], dobs: ['1990-01-02'], postcodes: ['CM1 2AB'] });
    const byName = await src.search(sourceQueryOf(bob)!, { signal, pageSize: 10 });
    expect(byName.candidates.map((c) => c.recordId)).toEqual(['R2']);
    const read = await src.read(['R1'], { signal });
    expect([...read.notes]).toEqual([['R1', 'line one\nline two, with "quotes"']]);
    expect(src.health()).toMatchObject({ kind: 'csv', records: 3, snapshot: 'export-2026-12-02.csv', errors: [] });

    const { response } = await answerRequest({ mapping: tinyMapping, source: src }, message([ada]));
    expect(response.subjectResults[0]).toMatchObject({ match: { status: 'MATCHED' }, idva: { victimViews: 'line one\nline two, with "quotes"' } });
  });

  it('reads a newer file when one is dropped; a broken one is reported and the last good export kept', async () => {
    dir = mkdtempSync(join(tmpdir(), 'csv-src-'));
    write('a.csv', PEOPLE.slice(1), Date.now() / 1000 - 100);
    src = createCsvSource(tinyMapping, { folder: dir, columns, watch: false });
    expect((await src.search(sourceQueryOf(ada)!, { signal, pageSize: 10 })).candidates).toEqual([]);
    write('b.csv', PEOPLE, Date.now() / 1000 - 50);
    // Without a watcher the folder is checked on each search.
    expect((await src.search(sourceQueryOf(ada)!, { signal, pageSize: 10 })).candidates.map((c) => c.recordId)).toEqual(['R1']);
    writeFileSync(join(dir, 'c.csv'), 'record_id,document\n"R9,{}\n');
    expect(await src.reload()).toBe(false);
    expect(src.health()).toMatchObject({ snapshot: 'b.csv', records: 3 });
    expect(src.health().errors.at(-1)).toMatchObject({ code: 'AGENCY_DATA_INVALID', message: expect.stringContaining('not closed') });
  });

  it('watches the folder', async () => {
    dir = mkdtempSync(join(tmpdir(), 'csv-src-'));
    write('a.csv', PEOPLE.slice(1), Date.now() / 1000 - 100);
    src = createCsvSource(tinyMapping, { folder: dir, columns });
    await src.reload();
    write('b.csv');
    await vi.waitFor(() => expect(src!.health().snapshot).toBe('b.csv'), { timeout: 20_000, interval: 50 });
  }, 30_000);

  it('a configuration naming a column the export lacks, or an unsafe name, is refused', async () => {
    dir = mkdtempSync(join(tmpdir(), 'csv-src-'));
    write('a.csv');
    expect(() => createCsvSource(tinyMapping, { folder: dir, columns: { ...columns, family: 'Family Name' }, watch: false })).toThrow(expect.objectContaining({ code: 'ADAPTER_CONFIG_INVALID' }));
    const s = createCsvSource(tinyMapping, { folder: dir, columns: { ...columns, family: 'surname' }, watch: false });
    await expect(s.search(sourceQueryOf(ada)!, { signal, pageSize: 10 })).rejects.toMatchObject({ code: 'AGENCY_DATA_INVALID', message: expect.stringContaining('surname') });
  });
});
