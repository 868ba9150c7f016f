/**
 * The file source: an agency's nightly CSV export dropped into a folder (decision 0025). The newest
 * file matching the pattern is read, parsed (csv-parse.ts) and indexed in memory by identifier and
 * by name with date of birth, as the memory source; the folder is watched and the newest file read
 * again when another is dropped. The old index keeps serving until the new file is read whole; a
 * file that fails to parse is reported in the health and the old one kept.
 *
 * Exporters should write under another name (`export.csv.part`) and rename when done: the default
 * pattern matches `*.csv` only.
 */
import { readFileSync, readdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { AdapterConfigInvalid, AgencyDataInvalid, SourceError, SourceUnavailable } from '../errors.js';
import type { DocumentMapping } from '../mapping.js';
import { healthRecorder, type Source, type SourceHealth } from '../source.js';
import { parseCsvObjects } from './csv-parse.js';
import { assertColumns, candidateOf, groupRows, parseDocument, type PeopleColumns } from './documents.js';
import { indexPeople, type PeopleIndex } from './indexed.js';

export interface CsvSourceConfig {
  kind?: 'csv';
  /** The folder the exports are dropped into. */
  folder: string;
  /** File names to consider, a glob with `*` (default `*.csv`). */
  pattern?: string;
  /**
   * Columns: the people's fields, and optionally `document`, a column holding each record's JSON
   * document. Without it, a record's document is its rows (objects keyed by the header): a flat
   * export's mapping reads its own columns in `fromDocuments`.
   */
  columns: PeopleColumns & { document?: string };
  /** Watch the folder for new files (default true). */
  watch?: boolean;
}

export interface CsvSource<Db> extends Source<Db> {
  /** Reads the newest file again if it is not the one served (also run by the watcher). Resolves true when it changed. */
  reload(): Promise<boolean>;
  health(): SourceHealth;
  close(): Promise<void>;
}

interface Snapshot {
  file: string;
  stamp: string;
  index: PeopleIndex;
  /** A record's document column (JSON text), or its rows when the export has no document column. */
  documents: Map<string, string | Record<string, string>[]>;
}

function globRegex(glob: string): RegExp {
  return new RegExp(`^${glob.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

export function checkCsvConfig(c: unknown): asserts c is CsvSourceConfig {
  const cfg = c as CsvSourceConfig;
  if (!cfg || typeof cfg !== 'object' || typeof cfg.folder !== 'string' || !cfg.folder) throw new AdapterConfigInvalid('source configuration invalid: folder is required');
  if (cfg.pattern !== undefined && (typeof cfg.pattern !== 'string' || /[/\\]/.test(cfg.pattern))) throw new AdapterConfigInvalid('source configuration invalid: pattern must be a file name glob');
  assertColumns(cfg.columns, 'columns', ['document'], 'csv');
}

export function createCsvSource<Db>(mapping: DocumentMapping<Db>, config: CsvSourceConfig): CsvSource<Db> {
  checkCsvConfig(config);
  const re = globRegex(config.pattern ?? '*.csv');
  const cols = config.columns;
  const rec = healthRecorder('csv');
  let snap: Snapshot | undefined;
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  let loading: Promise<boolean> | undefined;

  function newest(): { file: string; stamp: string } | undefined {
    let best: { file: string; mtime: number; size: number } | undefined;
    for (const name of readdirSync(config.folder)) {
      if (!re.test(name)) continue;
      const st = statSync(join(config.folder, name), { throwIfNoEntry: false });
      if (!st?.isFile()) continue;
      if (!best || st.mtimeMs > best.mtime || (st.mtimeMs === best.mtime && name > best.file)) best = { file: name, mtime: st.mtimeMs, size: st.size };
    }
    return best && { file: best.file, stamp: `${best.file}:${best.mtime}:${best.size}` };
  }

  function load(file: string, stamp: string): Snapshot {
    const { header, records } = parseCsvObjects(readFileSync(join(config.folder, file), 'utf8'));
    const needed = [cols.recordId, cols.document, cols.given, cols.otherGiven, cols.family, cols.nameUse, cols.dob, cols.sex, cols.postcode, cols.uprn, ...Object.values(cols.identifiers ?? {})].filter((x): x is string => !!x);
    const missing = needed.filter((c) => !header.includes(c));
    if (missing.length) throw new AgencyDataInvalid(`CSV export ${file} lacks the configured column(s) ${missing.join(', ')}`);
    const groups = groupRows(records, cols.recordId);
    const documents = new Map<string, string | Record<string, string>[]>();
    const docCol = cols.document;
    const people = [...groups.values()].map((rows) => {
      const c = candidateOf(rows, cols);
      const doc = docCol ? rows.find((r) => r[docCol]?.trim())?.[docCol] : rows;
      if (doc) documents.set(c.recordId, doc);
      return c;
    });
    return { file, stamp, index: indexPeople(people), documents };
  }

  async function reload(): Promise<boolean> {
    if (loading) return loading;
    loading = (async () => {
      await Promise.resolve(); // `loading` is set before the work (and its finally) runs
      try {
        const n = newest();
        if (!n) {
          if (!snap) throw new AgencyDataInvalid('no CSV export in the folder yet');
          return false;
        }
        if (snap?.stamp === n.stamp) return false;
        snap = load(n.file, n.stamp);
        rec.contact(true);
        return true;
      } catch (e) {
        const err = e instanceof SourceError || e instanceof AgencyDataInvalid ? e : new SourceUnavailable('the export folder cannot be read', { cause: e });
        rec.error(err);
        if (!snap) throw err;
        return false;
      } finally {
        loading = undefined;
      }
    })();
    return loading;
  }

  async function current(): Promise<Snapshot> {
    if (!snap) await reload();
    return snap!;
  }

  if (config.watch !== false) {
    try {
      watcher = watch(config.folder, () => {
        clearTimeout(timer);
        // Several events come per file written: read once they have settled.
        timer = setTimeout(() => void reload().catch(() => undefined), 200);
      });
      watcher.on('error', () => undefined);
    } catch {
      // A folder that cannot be watched is re-checked on every search instead.
      watcher = undefined;
    }
  }

  return {
    async search(q, opts) {
      if (opts.signal.aborted) throw opts.signal.reason;
      if (!watcher) await reload();
      const s = await current();
      rec.h.searches++;
      return s.index.search(q, opts.pageSize, opts.cursor);
    },
    async read(ids, opts) {
      if (opts.signal.aborted) throw opts.signal.reason;
      const s = await current();
      rec.h.reads++;
      const docs = new Map<string, unknown>();
      for (const id of ids) {
        const doc = s.documents.get(id);
        if (doc !== undefined) docs.set(id, typeof doc === 'string' ? parseDocument(doc, id) : doc);
      }
      return mapping.fromDocuments(docs);
    },
    health(): SourceHealth {
      return { ...rec.snapshot(), ...(snap ? { records: snap.index.size, snapshot: snap.file } : {}) };
    },
    reload,
    async close() {
      clearTimeout(timer);
      watcher?.close();
    },
  };
}
