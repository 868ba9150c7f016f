import { Router } from 'express';
import type { DataReturnService } from '../reporting/data-return.js';
import { ReportFormatInvalid } from '../reporting/errors.js';
import { regionalCsv, regionalExport, repeatRate, returnCsv } from '../reporting/formats.js';
import { agencyTypeLabel, dataReturnJson } from '../reporting/present.js';
import { agencyOf } from './route-params.js';

/**
 * The data return on the agency API (mTLS): the coordinator agency's own return for a quarter as
 * JSON (exact counts), CSV, or the regional export (JSON or CSV, small counts suppressed). Thin:
 * the service checks the quarter and the caller, reads and audits.
 */

const FORMATS = ['json', 'csv', 'regional-json', 'regional-csv'] as const;
type ApiFormat = (typeof FORMATS)[number];

function formatOf(v: unknown): ApiFormat {
  const f = v === undefined ? 'json' : v;
  if (typeof f !== 'string' || !(FORMATS as readonly string[]).includes(f)) {
    throw new ReportFormatInvalid('Unknown format', { problems: [{ path: 'query:format', code: 'enum', message: FORMATS.join(', ') }] });
  }
  return f as ApiFormat;
}

export function createReportRouter(returns: DataReturnService, now: () => Date): Router {
  const r = Router();
  r.get('/v1/reports/data-return', async (req, res) => {
    const format = formatOf(req.query.format);
    const ret = await returns.produce(agencyOf(res), req.query.quarter, format);
    res.set('cache-control', 'no-store');
    const base = `marac-data-return-${ret.maracArea}-${ret.quarter.id}`.replace(/[^A-Za-z0-9._-]/g, '_');
    if (format === 'json') return void res.json({ ...dataReturnJson(ret), repeatRate: repeatRate(ret) });
    if (format === 'regional-json') return void res.json(regionalExport(ret, now()));
    const csv = format === 'csv' ? returnCsv(ret, agencyTypeLabel) : regionalCsv(regionalExport(ret, now()));
    res.type('text/csv; charset=utf-8').set('content-disposition', `attachment; filename="${base}${format === 'csv' ? '' : '-regional'}.csv"`).send(csv);
  });
  return r;
}
